# Negative control: the harness must report FAIL when the kernel's view does
# not match.  Expected result: FAIL (the test asserts exactly that).
ISOLVM_POLL=1
expect_null_domains "deliberately-wrong" "1"
check_eq "deliberately wrong value" no yes
