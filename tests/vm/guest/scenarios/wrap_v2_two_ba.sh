ORDER="ctr-b ctr-a"
. /isolvm/scenarios/_wrap_two.sh
