DROP TRIGGER customer_phones_shared_delete ON customer_phones;
DROP TRIGGER customer_phones_shared_update ON customer_phones;
DROP TRIGGER customer_phones_shared_insert ON customer_phones;
DROP TRIGGER customer_emails_shared_delete ON customer_emails;
DROP TRIGGER customer_emails_shared_update ON customer_emails;
DROP TRIGGER customer_emails_shared_insert ON customer_emails;
DROP FUNCTION customer_phones_shared_follow();
DROP FUNCTION customer_emails_shared_follow();
DROP TABLE shared_contact_values;
