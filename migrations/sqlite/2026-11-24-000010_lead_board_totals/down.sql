DROP TRIGGER lead_board_totals_update;
DROP TRIGGER lead_board_totals_delete;
DROP TRIGGER lead_board_totals_insert;
DROP TABLE lead_board_totals;
