SELECT count(*) = 3 AND sum(amount) = 1000250.00 AND count(grade) = 2 FROM loan
