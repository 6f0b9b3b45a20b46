DROP TRIGGER lead_board_totals_follow ON leads;
DROP FUNCTION lead_board_totals_follow();
DROP FUNCTION lead_board_totals_add(leads, INTEGER, INTEGER);
DROP TABLE lead_board_totals;
