#!/bin/sh
# An ipvsadm boot script as kept by hand (long options, continuations, edits, deletes),
# run in the guest as it is, and imported by `vrrpd import-ipvsadm` for the round trip.
ipvsadm -C
ipvsadm --set 900 120 300
ipvsadm --add-service --tcp-service 203.0.113.10:80 --scheduler wrr \
    --persistent 30 --netmask 255.255.255.0
ipvsadm --add-server --tcp-service 203.0.113.10:80 --real-server 198.51.100.20 \
    --masquerading --weight=2 --u-threshold 900 --l-threshold 300   # web1
ipvsadm -a -t 203.0.113.10:80 -r 198.51.100.21:80 -m -w2
ipvsadm -a -t 203.0.113.10:80 -r 198.51.100.22:80 -m
ipvsadm -e -t 203.0.113.10:80 -r 198.51.100.22:80 -m -w 0   # draining
ipvsadm -d -t 203.0.113.10:80 -r 198.51.100.21:80
ipvsadm -A -t 203.0.113.11:443 -s sh -b sh-port -p
ipvsadm -E -t 203.0.113.11:443 -s sh -b sh-fallback
ipvsadm -a -t 203.0.113.11:443 -r 198.51.100.20 -g
ipvsadm -A -u 203.0.113.11:53 -s rr ; ipvsadm -a -u 203.0.113.11:53 -r 198.51.100.20 -m
ipvsadm -A -t 203.0.113.12:25 -s lc && ipvsadm -D -t 203.0.113.12:25
ipvsadm -A -f 42 -s sh -b sh-port -p 120
ipvsadm -a -f 42 -r 198.51.100.23 -i
ipvsadm -A -f 43 -6 -s rr
ipvsadm -a -f 43 -6 -r 2001:db8::11 -g
ipvsadm -A -t [2001:db8::30]:80 -s nq
ipvsadm -a -t [2001:db8::30]:80 -r 2001:db8::12 -m -w 3
ipvsadm -a -t [2001:db8::30]:80 -r [2001:db8::13]:8080 -m
