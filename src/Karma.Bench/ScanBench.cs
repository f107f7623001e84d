using System.Diagnostics;
using System.Globalization;
using System.Text;
using Karma.Core.Package;
using Karma.Serving.Core.Indexing;

namespace Karma.Bench;

/// <summary>One measurement: the exact scan over the table held one way, in one run.</summary>
/// <param name="Run">The run's number, from 1.</param>
/// <param name="Memory">How the table was held while scanned.</param>
/// <param name="QueriesPerSecond">Exact top-k queries per second.</param>
/// <param name="ScanBytesPerSecond">Table bytes times queries per second: the scan's read rate.</param>
/// <param name="BandwidthBytesPerSecond">This run's measured read bandwidth (<see cref="MemoryBandwidth"/>).</param>
public sealed record ScanPoint(int Run, VectorTableMemory Memory, double QueriesPerSecond, double ScanBytesPerSecond, double BandwidthBytesPerSecond)
{
    /// <summary>Scan rate as a share of the run's bandwidth.</summary>
    public double ShareOfBandwidth => ScanBytesPerSecond / BandwidthBytesPerSecond;
}

/// <summary>What <see cref="ScanBench"/> measured.</summary>
public sealed record ScanBenchResult(string Source, int Rows, int Dims, VectorElementType ElementType, long TableBytes, int Queries, int K,
    int Threads, string HugePagesSetting, IReadOnlyList<ScanPoint> Points);

/// <summary>
/// The exact scan (<see cref="ExactIndex"/>, all cores, top-k of every row) against this machine's read bandwidth,
/// with the table memory-mapped as served by default and as an anonymous copy with and without transparent huge pages.
/// Each run measures the bandwidth first, then every way in a rotated order, so no way always runs first or last.
/// </summary>
public static class ScanBench
{
    private const int WarmupQueries = 2;

    /// <summary>Runs the benchmark on the table file at <paramref name="tablePath"/>.</summary>
    /// <param name="source">Where the table came from, for the report's heading.</param>
    /// <param name="tablePath">The vector table file, opened anew for every way.</param>
    /// <param name="ways">How to hold the table in memory; each run measures every one.</param>
    /// <param name="runs">Runs, each measuring the bandwidth once and then every way.</param>
    /// <param name="queries">Timed queries per point (random vectors, seeded), after two warm-up queries.</param>
    /// <param name="k">Neighbours per query.</param>
    /// <param name="bandwidthBytes">Buffer size of the memory-bandwidth measurement; keep it far above the last-level cache.</param>
    /// <param name="threads">Threads of both the scan and the bandwidth measurement; 0: all cores.</param>
    /// <param name="log">Progress lines; null for none.</param>
    public static ScanBenchResult Run(string source, string tablePath, IReadOnlyList<VectorTableMemory> ways, int runs, int queries, int k = 1000,
        long bandwidthBytes = 1L << 30, int threads = 0, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(ways);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ways.Count, 1);
        int rows, dims;
        VectorElementType type;
        float[][] qs;
        using (var table = VectorTable.Open(tablePath))
        {
            (rows, dims, type) = (table.Rows, table.Cols, table.ElementType);
            var rng = new Random(11);
            qs = [.. Enumerable.Range(0, queries).Select(_ => Enumerable.Range(0, dims).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray())];
        }

        long tableBytes = (long)rows * dims * (type == VectorElementType.Float16 ? 2 : 4);
        var points = new List<ScanPoint>();
        for (int run = 1; run <= runs; run++)
        {
            double bandwidth = MemoryBandwidth.MeasureRead(bandwidthBytes, threads: threads);
            for (int w = 0; w < ways.Count; w++)
            {
                var way = ways[(w + run - 1) % ways.Count];
                using var table = VectorTable.Open(tablePath, way);
                using var index = new ExactIndex(table, maxDegreeOfParallelism: threads);
                for (int q = 0; q < WarmupQueries; q++)
                {
                    index.Search(qs[q % queries], k);
                }

                long start = Stopwatch.GetTimestamp();
                foreach (var q in qs)
                {
                    index.Search(q, k);
                }

                double qps = queries / Stopwatch.GetElapsedTime(start).TotalSeconds;
                var point = new ScanPoint(run, way, qps, qps * tableBytes, bandwidth);
                points.Add(point);
                log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[bench scan] run {run}/{runs} {way}: {qps:F1} queries/s, {point.ScanBytesPerSecond / 1e9:F1} GB/s of {bandwidth / 1e9:F1} GB/s ({point.ShareOfBandwidth:P0})"));
            }
        }

        return new ScanBenchResult(source, rows, dims, type, tableBytes, queries, k, threads == 0 ? Environment.ProcessorCount : threads, HugePagesSetting(), points);
    }

    /// <summary>The kernel's transparent-huge-pages mode, e.g. <c>madvise</c>; "unknown" off Linux.</summary>
    public static string HugePagesSetting()
    {
        const string path = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (!File.Exists(path))
        {
            return "unknown";
        }

        string text = File.ReadAllText(path);
        int open = text.IndexOf('[', StringComparison.Ordinal), close = text.IndexOf(']', StringComparison.Ordinal);
        return open >= 0 && close > open ? text[(open + 1)..close] : text.Trim();
    }

    /// <summary>A markdown report: every run and way, then each way's worst and best share.</summary>
    public static string ToMarkdown(ScanBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"{r.Source}: {r.Rows:N0} x {r.Dims} {r.ElementType} ({r.TableBytes / 1048576.0:F0} MiB per query), top-{r.K}, {r.Queries} queries per point, {r.Threads} thread(s) scanning and measuring bandwidth; transparent huge pages: {r.HugePagesSetting}");
        sb.AppendLine();
        sb.AppendLine("| run | table memory | queries/s | scan GB/s | bandwidth GB/s | share |");
        sb.AppendLine("|---:|---|---:|---:|---:|---:|");
        foreach (var p in r.Points)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Run} | {p.Memory} | {p.QueriesPerSecond:F1} | {p.ScanBytesPerSecond / 1e9:F1} | {p.BandwidthBytesPerSecond / 1e9:F1} | {p.ShareOfBandwidth:P0} |");
        }

        sb.AppendLine();
        sb.AppendLine("| table memory | worst share | best share | runs at ≥ 80% |");
        sb.AppendLine("|---|---:|---:|---:|");
        foreach (var g in r.Points.GroupBy(p => p.Memory))
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {g.Key} | {g.Min(p => p.ShareOfBandwidth):P0} | {g.Max(p => p.ShareOfBandwidth):P0} | {g.Count(p => p.ShareOfBandwidth >= 0.8)} of {g.Count()} |");
        }

        return sb.ToString();
    }
}
