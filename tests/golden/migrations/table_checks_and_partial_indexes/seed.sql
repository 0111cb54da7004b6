INSERT INTO loan (id, status, amount, start_date, end_date, code) VALUES
  (1, 'Pending', 10, '2024-01-01', NULL, 'ABC'),
  (2, 'Released', 200, '2024-01-01', '2024-02-01', 'DEF');
