# The SQL that fills change_events for scripts/bench-feed.sh, sourced by it.
#
# feed_events_sql DB FIRST LAST prints one INSERT … SELECT writing the
# synthetic events FIRST..LAST (PostgreSQL: generate_series; SQLite: a
# recursive CTE). Event n is of one of seven entity types in a fixed mix
# (n % 20: 6 customer, 5 interaction, 3 lead, 2 ticket, 2 purchase,
# 1 ticket_comment, 1 asset); its payload is 550–700 bytes of JSON shaped
# like the API's record of that type; every third event is a new entity
# (`created`), the others update it. Ids, times and text are derived from n,
# so two runs of the same size write the same rows. The expressions are
# written once for both backends: `||`, CASE, integer `/` and `%`, substr,
# and zero padding as substr(CAST(10^12 + n AS TEXT), 2).

feed_events_sql() { # db, first, last
  local db=$1 first=$2 last=$3 source occurred
  if [ "$db" = postgres ]; then
    source="generate_series(CAST($first AS BIGINT), CAST($last AS BIGINT)) AS g(n)"
    occurred="TIMESTAMP '2026-01-01 00:00:00' + n * INTERVAL '20 milliseconds'"
  else
    source="g"
    occurred="strftime('%Y-%m-%d %H:%M:%f', '2026-01-01 00:00:00', '+' || (n / 50) || '.' || substr(CAST(1000 + n % 50 * 20 AS TEXT), 2) || ' seconds')"
  fi
  local with=""
  [ "$db" = sqlite ] && with="WITH RECURSIVE g(n) AS (SELECT $first UNION ALL SELECT n + 1 FROM g WHERE n < $last)"
  cat <<SQL
$with
INSERT INTO change_events (id, occurred_at, entity_type, entity_id, action, payload, request_id)
SELECT
  '0190a000-0000-7000-8000-' || p12,
  occurred_at,
  t,
  eid,
  CASE WHEN v = 1 THEN 'created' ELSE 'updated' END,
  '{"id":"' || eid || '",' || CASE t
    WHEN 'customer' THEN
      '"kind":"person","display_name":"Adaeze Okafor ' || p7 || '","first_name":"Adaeze","last_name":"Okafor ' || p7
      || '","email":"adaeze.okafor.' || p7 || '@example.test","phone":"+234803' || p7
      || '","division_id":"' || division || '","branch_id":"' || branch
      || '","status":"active","source":"walk_in","tags":["fleet","priority"],"address":{"line1":"' || (n % 200 + 1)
      || ' Adeola Odeku Street","city":"Lagos","state":"Lagos","country":"NG"},"custom_fields":{"preferred_contact":"phone","segment":"retail","referral_code":"R' || p7
      || '"},"owner_id":"' || owner || '"'
    WHEN 'interaction' THEN
      '"customer_id":"' || cid || '","channel":"call","direction":"inbound","subject":"Service booking enquiry ' || p7
      || '","body":"Customer called to book the 20,000 km service and asked about the price of brake pads and a wheel alignment on the same visit.","category_id":"00000000-0000-7000-8300-000000000004","sentiment":"neutral","duration_seconds":'
      || (n % 900 + 60) || ',"agent_id":"' || owner || '","branch_id":"' || branch || '","occurred_at":"' || stamp || '"'
    WHEN 'lead' THEN
      '"customer_id":"' || cid || '","pipeline_id":"00000000-0000-7000-8006-000000000000","stage":"qualified","title":"Fleet purchase, 4 pickups ' || p7
      || '","value":{"amount_minor":' || ((n % 90000 + 10000) * 1000) || ',"currency":"NGN"},"source":"website","owner_id":"' || owner
      || '","division_id":"' || division || '","next_follow_up_at":"' || stamp || '","lost_reason_id":null,"probability":40,"notes":"Asked for a quote on four double-cabin pickups with a three-year service plan."'
    WHEN 'ticket' THEN
      '"number":"MOT-' || p7 || '","customer_id":"' || cid || '","queue_id":"00000000-0000-7000-8400-000000000001","assignee_id":"' || owner
      || '","category_id":"00000000-0000-7000-8401-000000000002","channel":"call","priority":"normal","status":"open","subject":"Air conditioning not cooling after service ' || p7
      || '","sla":{"policy_id":"00000000-0000-7000-8402-000000000001","first_response_due_at":"' || stamp || '","resolution_due_at":"' || stamp || '","paused":false},"branch_id":"' || branch || '"'
    WHEN 'purchase' THEN
      '"customer_id":"' || cid || '","asset_id":"00000000-0000-7000-8500-' || p12 || '","kind":"vehicle","description":"Toyota Hilux 2.8 GD-6 double cab, white","amount":{"amount_minor":'
      || ((n % 50000 + 20000) * 100000) || ',"currency":"NGN"},"purchased_on":"2026-0' || (n % 9 + 1) || '-1' || (n % 10)
      || '","invoice_number":"INV-' || p7 || '","branch_id":"' || branch || '","salesperson_id":"' || owner || '","warranty_months":36,"financed":false'
    WHEN 'ticket_comment' THEN
      '"ticket_id":"00000000-0000-7000-8403-' || p12 || '","author_id":"' || owner
      || '","visibility":"internal","body":"Called the customer back: the compressor clutch is slipping. Parts ordered from Apapa, expected Thursday; courtesy car offered and declined. Next update due when the parts arrive.","mentions":["' || owner || '"],"edited_at":null,"attachments":[]'
    ELSE
      '"customer_id":"' || cid || '","kind":"vehicle","make":"Toyota","model":"Hilux","year":20' || (n % 10 + 16) || ',"vin":"AHTFR22G' || p7
      || 'XY","registration":"LAG-' || (n % 900 + 100) || 'AB","colour":"white","engine":"2.8 GD-6 diesel","transmission":"automatic","last_service_on":"2026-10-14","odometer_km":' || (n % 150000)
      || ',"warranty_until":"2029-06-30","branch_id":"' || branch || '","notes":"Fleet vehicle, serviced at Ikeja; customer prefers Saturday appointments."'
  END || ',"version":' || v || ',"created_at":"2026-11-20T08:30:00Z","updated_at":"' || stamp || '"}',
  CASE WHEN n % 4 = 0 THEN NULL ELSE 'bench-' || p12 END
FROM (
  SELECT
    n, p12, v, occurred_at,
    CASE WHEN n % 20 < 6 THEN 'customer' WHEN n % 20 < 11 THEN 'interaction' WHEN n % 20 < 14 THEN 'lead'
      WHEN n % 20 < 16 THEN 'ticket' WHEN n % 20 < 18 THEN 'purchase' WHEN n % 20 = 18 THEN 'ticket_comment'
      ELSE 'asset' END AS t,
    '00000000-0000-7000-8100-' || substr(CAST(1000000000000 + n / 60 * 20 + n % 20 AS TEXT), 2) AS eid,
    '00000000-0000-7000-8000-' || substr(CAST(1000000000000 + n % 100000 AS TEXT), 2) AS cid,
    substr(p12, 6) AS p7,
    '00000000-0000-7000-8001-000000000001' AS division,
    '00000000-0000-7000-8002-00000000000' || (n % 4 + 1) AS branch,
    '00000000-0000-7000-8003-0000000000' || (n % 50 + 10) AS owner,
    '2026-11-2' || (n % 8 + 1) || 'T1' || (n % 10) || ':' || (n % 5 + 1) || '0:00Z' AS stamp
  FROM (
    SELECT n, substr(CAST(1000000000000 + n AS TEXT), 2) AS p12, n / 20 % 3 + 1 AS v, $occurred AS occurred_at
    FROM $source
  ) AS numbered
) AS shaped;
SQL
}
