using System.Diagnostics;
using System.Globalization;
using System.Text;
using Karma.Core.Package;
using Karma.Serving.Core.Indexing;

namespace Karma.Bench;

/// <summary>One HNSW setting's measurement.</summary>
public sealed record HnswPoint(int ExpansionSearch, double RecallAt10, double RecallAt100, double QueriesPerSecond, double SpeedupOverExact);

/// <summary>Exact versus HNSW on one table.</summary>
public sealed record RecallBenchResult(string Source, int Rows, int Dims, int Queries, double ExactQueriesPerSecond,
    double HnswBuildSeconds, long HnswMemoryBytes, IReadOnlyList<HnswPoint> Hnsw, ExactScanSpeed? Scan = null, int K = 100,
    HnswQuantization Quantization = HnswQuantization.Float32);

/// <summary>The exact scan's read rate against the machine's measured memory read bandwidth.</summary>
/// <param name="TableBytes">Bytes one exact query reads (the whole table).</param>
/// <param name="ScanBytesPerSecond">TableBytes times exact queries per second.</param>
/// <param name="MemoryBytesPerSecond">Measured read bandwidth (<see cref="MemoryBandwidth"/>).</param>
public sealed record ExactScanSpeed(long TableBytes, double ScanBytesPerSecond, double MemoryBytesPerSecond)
{
    /// <summary>Scan rate as a share of the bandwidth.</summary>
    public double ShareOfBandwidth => ScanBytesPerSecond / MemoryBytesPerSecond;
}

/// <summary>
/// Recall and speed of the HNSW index against the exact index on the same table: recall@10 and @100 of HNSW's
/// results against exact top-k, single-query throughput (one query at a time, as a request is served) across
/// expansion settings, build time and native memory.
/// </summary>
public static class RecallBench
{
    /// <summary>Clustered unit vectors (a realistic embedding geometry; uniform noise is HNSW's worst case).</summary>
    public static float[] Clustered(int rows, int dims, int seed, int clusters = 1000)
    {
        var rng = new Random(seed);
        var centres = new float[clusters * dims];
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = (float)Gaussian(rng);
        }

        var data = new float[(long)rows * dims];
        for (int r = 0; r < rows; r++)
        {
            int c = rng.Next(clusters);
            double norm = 0;
            for (int d = 0; d < dims; d++)
            {
                float v = centres[c * dims + d] + (float)(0.35 * Gaussian(rng));
                data[(long)r * dims + d] = v;
                norm += v * v;
            }

            float inv = (float)(1 / Math.Sqrt(norm));
            for (int d = 0; d < dims; d++)
            {
                data[(long)r * dims + d] *= inv;
            }
        }

        return data;
    }

    /// <summary>Runs the benchmark on <paramref name="table"/>; queries are table rows with noise (seeded).</summary>
    /// <param name="source">Where the table came from, for the report's heading.</param>
    /// <param name="table">The vectors both indexes are built over.</param>
    /// <param name="queries">Queries timed per index and setting.</param>
    /// <param name="expansions">HNSW expansion settings (ef_search) to measure, one point each.</param>
    /// <param name="log">Progress lines; null for none.</param>
    /// <param name="bandwidthBytes">Buffer size of the memory-bandwidth measurement; keep it far above the last-level cache.</param>
    /// <param name="k">Neighbours per query (at least 100); USearch searches with max(k, ef).</param>
    /// <param name="quantization">How the HNSW index stores its vectors.</param>
    /// <param name="hnsw">Build settings (M, efConstruction, threads); default <see cref="HnswOptions"/>'s.</param>
    public static RecallBenchResult Run(string source, VectorTable table, int queries, int[] expansions, TextWriter? log = null,
        long bandwidthBytes = 1L << 30, int k = 100, HnswQuantization quantization = HnswQuantization.Float32, HnswOptions? hnsw = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 100);
        ArgumentOutOfRangeException.ThrowIfLessThan(queries, 1);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(expansions);
        var rng = new Random(7);
        int dims = table.Cols;
        var qs = new float[queries][];
        var row = new float[dims];
        for (int q = 0; q < queries; q++)
        {
            table.CopyRow(rng.Next(table.Rows), row);
            qs[q] = row.Select(v => v + (float)(0.05 * Gaussian(rng))).ToArray();
        }

        using var exact = new ExactIndex(table);
        var truth = new IReadOnlyList<Hit>[queries];
        var clock = Stopwatch.StartNew();
        for (int q = 0; q < queries; q++)
        {
            truth[q] = exact.Search(qs[q], k);
        }

        double exactQps = queries / clock.Elapsed.TotalSeconds;
        log?.WriteLine($"[bench recall] exact: {exactQps:F1} queries/s over {table.Rows} x {dims}");
        long tableBytes = (long)table.Rows * dims * (table.ElementType == VectorElementType.Float16 ? 2 : 4);
        var scan = new ExactScanSpeed(tableBytes, tableBytes * exactQps, MemoryBandwidth.MeasureRead(bandwidthBytes));
        log?.WriteLine($"[bench recall] exact scan reads {scan.ScanBytesPerSecond / 1e9:F1} GB/s; memory read bandwidth {scan.MemoryBytesPerSecond / 1e9:F1} GB/s ({scan.ShareOfBandwidth:P0})");
        clock.Restart();
        using var index = HnswIndex.Build(table, (hnsw ?? new HnswOptions()) with { Quantization = quantization });
        double build = clock.Elapsed.TotalSeconds;
        log?.WriteLine($"[bench recall] HNSW built in {build:F1} s, {index.MemoryUsage / 1048576.0:F0} MiB");
        var points = new List<HnswPoint>();
        foreach (int ef in expansions)
        {
            index.ChangeExpansionSearch(ef);
            var results = new IReadOnlyList<Hit>[queries];
            clock.Restart();
            for (int q = 0; q < queries; q++)
            {
                results[q] = index.Search(qs[q], k);
            }

            double qps = queries / clock.Elapsed.TotalSeconds;
            double r10 = Enumerable.Range(0, queries).Average(q => Overlap(truth[q], results[q], 10));
            double r100 = Enumerable.Range(0, queries).Average(q => Overlap(truth[q], results[q], 100));
            points.Add(new HnswPoint(ef, r10, r100, qps, qps / exactQps));
            log?.WriteLine($"[bench recall] HNSW ef={ef}: recall@10 {r10:F4}, recall@100 {r100:F4}, {qps:F0} queries/s ({qps / exactQps:F1}x exact)");
        }

        return new RecallBenchResult(source, table.Rows, dims, queries, exactQps, build, index.MemoryUsage, points, scan, k, quantization);
    }

    /// <summary>A markdown table of the result.</summary>
    public static string ToMarkdown(RecallBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{r.Source}: {r.Rows:N0} x {r.Dims}, {r.Queries} queries of top-{r.K}; exact {r.ExactQueriesPerSecond:F1} queries/s; HNSW (M=16, {r.Quantization}) built in {r.HnswBuildSeconds:F1} s, {r.HnswMemoryBytes / 1048576.0:F0} MiB");
        if (r.Scan is { } scan)
        {
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"exact scan: {scan.TableBytes / 1048576.0:F0} MiB per query at {r.ExactQueriesPerSecond:F1} queries/s = {scan.ScanBytesPerSecond / 1e9:F1} GB/s, {scan.ShareOfBandwidth:P0} of this machine's measured read bandwidth ({scan.MemoryBytesPerSecond / 1e9:F1} GB/s, all cores)");
        }

        sb.AppendLine();
        sb.AppendLine("| ef_search | recall@10 | recall@100 | queries/s | × exact |");
        sb.AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var p in r.Hnsw)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {p.ExpansionSearch} | {p.RecallAt10:F4} | {p.RecallAt100:F4} | {p.QueriesPerSecond:F0} | {p.SpeedupOverExact:F1} |");
        }

        return sb.ToString();
    }

    private static double Overlap(IReadOnlyList<Hit> truth, IReadOnlyList<Hit> found, int k)
    {
        var t = truth.Take(k).Select(h => h.Row).ToHashSet();
        return t.Count == 0 ? 1 : found.Take(k).Count(h => t.Contains(h.Row)) / (double)t.Count;
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
