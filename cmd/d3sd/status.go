package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/d3s/d3s/node/admin"
)

// statusCommand prints the status of the daemon serving dataDir: text
// for people by default, the admin API's JSON with --json.
func statusCommand(ctx context.Context, dataDir string, args []string, out io.Writer) error {
	fs := newFlagSet("status")
	fs.StringVar(&dataDir, "data", dataDir, "data directory")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageErrorf("status: unexpected argument %q", pos[0])
	}
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	st, err := admin.GetStatus(ctx, dataDir)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	return printStatus(out, st, time.Now())
}

// printStatus writes st as aligned text; now dates the last repair pass.
func printStatus(out io.Writer, st admin.Status, now time.Time) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	connected := 0
	for _, p := range st.Peers {
		if p.Connected {
			connected++
		}
	}
	lines := [][2]string{
		{"peer id", st.PeerID},
		{"s3", st.S3Addr},
		{"p2p", strings.Join(st.Addrs, " ")},
		{"peers", fmt.Sprintf("%d known, %d connected", len(st.Peers), connected)},
		{"held", fmt.Sprintf("%d objects, %s", st.HeldObjects, humanBytes(st.HeldBytes))},
		{"cached", fmt.Sprintf("%d objects, %s of %s", st.CachedObjects, humanBytes(st.CachedBytes), humanBytes(st.CacheSize))},
		{"under-replicated", fmt.Sprintf("%d (%s)", st.UnderReplicated, lastRepair(st.LastRepair, now))},
		{"pending replications", fmt.Sprint(st.PendingReplications)},
		{"unpublished buckets", fmt.Sprint(st.UnpublishedBuckets)},
		{"consistency", noQuorum(st.Consistency, st.NoQuorum)},
		{"damaged", fmt.Sprintf("%d now, %d found, %d repaired since start", st.Damaged, st.Corrupt, st.Repaired)},
		{"torrents loaded", fmt.Sprint(st.Loaded)},
		{"received", fmt.Sprintf("%s, %s/s now", humanBytes(st.BytesDown), humanBytes(int64(st.RateDown)))},
		{"sent", fmt.Sprintf("%s, %s/s now", humanBytes(st.BytesUp), humanBytes(int64(st.RateUp)))},
	}
	for _, l := range lines {
		fmt.Fprintf(tw, "%s:\t%s\n", l[0], l[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return printPeers(out, st.Peers)
}

// printPeers writes the known members as a table.
func printPeers(out io.Writer, peers []admin.PeerStatus) error {
	if len(peers) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nPEER\tCONNECTED\tADDRESSES")
	for _, p := range peers {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.ID, yesNo(p.Connected), strings.Join(p.Addrs, " "))
	}
	return tw.Flush()
}

// lastRepair describes when the last repair pass ran.
func lastRepair(at, now time.Time) string {
	if at.IsZero() {
		return "no repair pass yet"
	}
	return "repair pass " + now.Sub(at).Round(time.Second).String() + " ago"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// humanBytes formats n bytes with a binary unit: 512 B, 1.5 KiB, 3.0 GiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// noQuorum describes the consistency mode and what lacks a majority.
func noQuorum(mode string, buckets []string) string {
	if len(buckets) == 0 {
		return mode
	}
	return fmt.Sprintf("%s; no majority reachable for %s", mode, strings.Join(buckets, " "))
}
