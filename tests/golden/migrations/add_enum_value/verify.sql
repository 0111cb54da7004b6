SELECT enum_range(NULL::order_state)::text = '{draft,open,paid,refunded,shipped,delivered}'
