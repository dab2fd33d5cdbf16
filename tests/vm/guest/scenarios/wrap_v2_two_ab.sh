ORDER="ctr-a ctr-b"
. /isolvm/scenarios/_wrap_two.sh
