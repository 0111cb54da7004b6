INSERT INTO loan (status, code, grade, amount, term_months) VALUES
  ('Pending', 'L-001', 'A', 0.01, 12),
  ('Released', ' L-2 ', 'AA', 999999.99, 360),
  ('Closed', E'\tL3', NULL, 250.00, 60);
