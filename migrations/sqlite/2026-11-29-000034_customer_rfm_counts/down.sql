DROP TRIGGER customer_rfm_counts_take;
DROP TRIGGER customer_rfm_counts_add;
DROP VIEW customer_rfm_contributions;
DROP TABLE customer_rfm_counts;
