//! Tasks: the API shapes, storage, lists and scope.

pub mod api;
pub mod list;
mod related;
mod rows;
mod scope;
pub mod store;

pub use api::{CancelTask, CompleteTask, CreateTask, DueState, TaskListQuery, TaskResponse, TaskSort, UpdateTask};
pub use list::list;
pub use store::{ENTITY, InteractionToLog, cancel, complete, create, get, update};
