DROP INDEX leads_closed_metrics_idx;
