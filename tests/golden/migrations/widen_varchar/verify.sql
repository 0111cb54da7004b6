SELECT sum(total) = 13.50 FROM purchase
