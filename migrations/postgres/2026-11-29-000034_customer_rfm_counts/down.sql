DROP TRIGGER customer_rfm_counts_follow ON customer_purchase_facts;
DROP FUNCTION customer_rfm_counts_follow();
DROP VIEW customer_rfm_contributions;
DROP TABLE customer_rfm_counts;
