-- Which network addresses may speak for a device. GB/T 26875.3 has no authentication: a
-- peer that writes a registered address is believed. A device with allowed_peers only
-- has its frames accepted from those addresses (IPv4/IPv6 hosts or networks); NULL = any
-- (the default, as before).
ALTER TABLE devices ADD COLUMN allowed_peers cidr[];
