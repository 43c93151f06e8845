#!/bin/bash
# netsize.sh N COUNT [D3SD] — issue 10's "PUT latency against network size":
# starts N d3sd processes on loopback (node 1 founds, the others join with
# its token file), reports the time until node 1 and node N each see N-1
# connected peers, the whole network's idle CPU, then PUTs COUNT 2 KiB
# objects sequentially through node 1 with curl (SigV4, UNSIGNED-PAYLOAD)
# and reports the median and p90 latency, the CPU all processes spent per
# PUT (utime+stime from /proc) and the median and highest VmRSS.
#   CGO_ENABLED=0 go build -o /tmp/d3sd ./cmd/d3sd
#   for n in 3 5 10 20; do e2e/testdata/netsize.sh $n 100 /tmp/d3sd; done
set -u
N=$1 COUNT=$2 BIN=${3:-/tmp/d3sd}
B=$(mktemp -d /tmp/netsize.XXXX)
cpu() { local t=0; for p in $(pgrep -f "$BIN --data $B/"); do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
connected() { "$BIN" status --data "$B/$1" 2>/dev/null | awk '/^peers:/{print $4}'; }
trap 'pkill -f "$BIN --data $B/"; sleep 1; rm -rf $B' EXIT
start=$(date +%s.%N)
"$BIN" --data $B/1 --s3 127.0.0.1:19100 --log-level warn >$B/1.log 2>&1 &
until [ -f $B/1/join-token ]; do sleep 0.1; done
for i in $(seq 2 $N); do
  "$BIN" --data $B/$i --s3 127.0.0.1:$((19099 + i)) --join-file $B/1/join-token --log-level warn >$B/$i.log 2>&1 &
done
until [ "$(connected 1)" = $((N - 1)) ] && [ "$(connected $N)" = $((N - 1)) ]; do sleep 0.2; done
echo "N=$N settled in $(echo "$(date +%s.%N) - $start" | bc) s"
sleep 10
a=$(cpu); sleep 10; b=$(cpu)
echo "idle CPU of the network: $(echo "scale=3; ($b - $a) / 1000" | bc) cores"
A=$(awk -F' *= *' '/aws_access_key_id/{print $2}' $B/1/credentials)
S=$(awk -F' *= *' '/aws_secret_access_key/{print $2}' $B/1/credentials)
sig=(-s -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --aws-sigv4 "aws:amz:us-east-1:s3" --user "$A:$S")
curl "${sig[@]}" -o /dev/null -X PUT http://127.0.0.1:19100/lat
a=$(cpu); t0=$(date +%s.%N)
for i in $(seq 1 $COUNT); do
  head -c 2048 /dev/urandom >$B/obj
  curl "${sig[@]}" -o /dev/null -w '%{http_code} %{time_total}\n' -T $B/obj http://127.0.0.1:19100/lat/k$i
done >$B/lat
t1=$(date +%s.%N); b=$(cpu)
echo "status codes: $(awk '{print $1}' $B/lat | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
awk '{print $2 * 1000}' $B/lat | sort -n | awk '{a[NR] = $1} END {printf "PUT latency ms: median %.1f p90 %.1f\n", a[int(NR / 2) + 1], a[int(NR * 0.9)]}'
echo "CPU of the network per PUT: $(echo "scale=1; ($b - $a) * 10 / $COUNT" | bc) ms ($COUNT PUTs in $(echo "$t1 - $t0" | bc) s)"
for p in $(pgrep -f "$BIN --data $B/"); do awk '/VmRSS/{print $2}' /proc/$p/status; done | sort -n |
  awk '{a[NR] = $1} END {printf "VmRSS MiB: median %.0f max %.0f\n", a[int(NR / 2) + 1] / 1024, a[NR] / 1024}'
