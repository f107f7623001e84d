using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Karma.Core.Package;
using Karma.Core.Vectors;
using Karma.Serving.Core.Indexing;

namespace Karma.Bench;

/// <summary>Settings of <see cref="AnnBench.Run"/>: files, metric and HNSW build settings, the same for every system.</summary>
public sealed record AnnBenchOptions
{
    /// <summary>Where the base vectors came from (for the report).</summary>
    public required string Source { get; init; }

    /// <summary>The vectors to index.</summary>
    public required VectorMatrix Base { get; init; }

    /// <summary>The queries.</summary>
    public required VectorMatrix Queries { get; init; }

    /// <summary>Each query's true neighbours, best first (rows × at least k); null: computed by exact search here.</summary>
    public (int[] Ids, int Cols)? GroundTruth { get; init; }

    /// <summary>Neighbours per query.</summary>
    public int K { get; init; } = 10;

    /// <summary><c>cosine</c> (vectors scaled to unit length first) or <c>ip</c> (inner product as given).</summary>
    public string Metric { get; init; } = "cosine";

    /// <summary>HNSW M.</summary>
    public int Connectivity { get; init; } = 16;

    /// <summary>HNSW efConstruction.</summary>
    public int ExpansionAdd { get; init; } = 200;

    /// <summary>Threads building the index (0: all cores); searches always run one query at a time on one thread.</summary>
    public int BuildThreads { get; init; }

    /// <summary>How our index stores and searches vectors: one index built and measured per variant.</summary>
    public IReadOnlyList<HnswVariant> Variants { get; init; } = [HnswVariant.Default];

    /// <summary>Search expansions (ef) to measure.</summary>
    public required IReadOnlyList<int> Expansions { get; init; }
}

/// <summary>One ef setting of one system.</summary>
public sealed record AnnPoint(int Ef, double Recall, double QueriesPerSecond);

/// <summary>One system's curve (ours or a peer's); <paramref name="Error"/> when it could not run.</summary>
public sealed record AnnSystem(string Name, string Version, double BuildSeconds, IReadOnlyList<AnnPoint> Points, string? Error = null);

/// <summary>Queries/s of one of ours and a peer at one recall, interpolated on each curve; null where a curve does not reach it.</summary>
public sealed record MatchedRecall(double Recall, string Ours, string Peer, double? OursQueriesPerSecond, double? PeerQueriesPerSecond)
{
    /// <summary>Ours over the peer's.</summary>
    public double? Ratio => OursQueriesPerSecond is { } o && PeerQueriesPerSecond is { } p && p > 0 ? o / p : null;
}

/// <summary>An ANN comparison on one data set.</summary>
public sealed record AnnBenchResult(string Source, int Rows, int Dims, int Queries, int K, string Metric, int Connectivity, int ExpansionAdd,
    IReadOnlyList<AnnSystem> Systems, IReadOnlyList<MatchedRecall> Matched);

/// <summary>
/// Our HNSW index (USearch through our binding, <see cref="HnswIndex.Search"/> one query at a time, as a request is
/// served) on standard benchmark files with their ground truth, and, with peers, hnswlib and Faiss on the same files
/// and settings in the same run (tools/ann/peers.py), compared at matched recall: queries/s interpolated on each
/// system's recall curve at 0.90, 0.95 and 0.99.
/// </summary>
public static class AnnBench
{
    /// <summary>Recalls at which the systems are compared.</summary>
    public static IReadOnlyList<double> MatchedRecalls { get; } = [0.90, 0.95, 0.99];

    /// <summary>Queries timed per ef after an untimed warm-up of this many.</summary>
    private const int WarmupQueries = 100;

    /// <summary>Measures our index; peers (already run, or null) join the result and the matched-recall table.</summary>
    public static AnnBenchResult Run(AnnBenchOptions options, IReadOnlyList<AnnSystem>? peers = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (baseSet, queries) = (options.Base, options.Queries);
        if (baseSet.Cols != queries.Cols)
        {
            throw new InvalidDataException($"queries are {queries.Cols} wide, the base vectors {baseSet.Cols}");
        }

        if (options.Metric is not ("cosine" or "ip"))
        {
            throw new ArgumentException($"--metric '{options.Metric}': cosine or ip");
        }

        float[] data = options.Metric == "cosine" ? Unit(baseSet) : baseSet.Values;
        float[] q = options.Metric == "cosine" ? Unit(queries) : queries.Values;
        string tablePath = Path.Combine(Path.GetTempPath(), $"karma-ann-{Guid.NewGuid():N}.bin");
        VectorTableWriter.Write(tablePath, data, baseSet.Rows, baseSet.Cols, VectorElementType.Float32);
        try
        {
            using var table = VectorTable.Open(tablePath);
            var truth = Truth(options, table, q, log);
            var ours = options.Variants.Select(v => Measure(options, table, q, truth, v, log)).ToList();
            var systems = new List<AnnSystem>(ours);
            systems.AddRange(peers ?? []);
            var matched = (from o in ours
                           from p in (peers ?? []).Where(p => p.Error is null)
                           from r in MatchedRecalls
                           select new MatchedRecall(r, o.Name, p.Name, QueriesPerSecondAt(o.Points, r), QueriesPerSecondAt(p.Points, r))).ToList();
            return new AnnBenchResult(options.Source, baseSet.Rows, baseSet.Cols, queries.Rows, options.K, options.Metric, options.Connectivity,
                options.ExpansionAdd, systems, matched);
        }
        finally
        {
            File.Delete(tablePath);
        }
    }

    /// <summary>Builds our index in one variant and measures its curve, one query at a time as a request is served.</summary>
    private static AnnSystem Measure(AnnBenchOptions options, VectorTable table, float[] q, (int[] Ids, int Cols) truth, HnswVariant variant,
        TextWriter? log)
    {
        int rows = options.Queries.Rows, cols = options.Queries.Cols;
        var clock = Stopwatch.StartNew();
        using var index = HnswIndex.Build(table, new HnswOptions
        {
            Connectivity = options.Connectivity,
            ExpansionAdd = options.ExpansionAdd,
            BuildThreads = options.BuildThreads,
            Quantization = variant.Quantization,
            Refine = variant.Refine,
        });
        double build = clock.Elapsed.TotalSeconds;
        string name = $"karma {variant} ({index.HardwareAcceleration})";
        log?.WriteLine($"[bench recall] {name}: HNSW M {options.Connectivity}, efConstruction {options.ExpansionAdd}, built in {build:F1} s");
        var points = new List<AnnPoint>();
        var found = new IReadOnlyList<Hit>[rows];
        foreach (int ef in options.Expansions)
        {
            index.ChangeExpansionSearch(Math.Max(ef, options.K));
            for (int i = 0; i < Math.Min(WarmupQueries, rows); i++)
            {
                index.Search(q.AsSpan(i * cols, cols), options.K);
            }

            clock.Restart();
            for (int i = 0; i < rows; i++)
            {
                found[i] = index.Search(q.AsSpan(i * cols, cols), options.K);
            }

            double qps = rows / clock.Elapsed.TotalSeconds;
            double recall = Enumerable.Range(0, rows).Average(i => Recall(found[i].Select(h => h.Row), truth.Ids.AsSpan(i * truth.Cols, options.K)));
            points.Add(new AnnPoint(ef, recall, qps));
            log?.WriteLine($"[bench recall] {name} ef {ef}: recall@{options.K} {recall:F4}, {qps:F0} queries/s");
        }

        return new AnnSystem(name, HnswIndex.NativeVersion, build, points);
    }

    /// <summary>
    /// Queries/s at <paramref name="recall"/> on a curve: linear between the two measured points around it; the fastest
    /// point's when every point has more recall (a lower bound); null when no point reaches it.
    /// </summary>
    public static double? QueriesPerSecondAt(IReadOnlyList<AnnPoint> points, double recall)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0 || points.Max(p => p.Recall) < recall)
        {
            return null;
        }

        var above = points.Where(p => p.Recall >= recall).MaxBy(p => p.QueriesPerSecond)!;
        var below = points.Where(p => p.Recall < recall && p.QueriesPerSecond > above.QueriesPerSecond).MaxBy(p => p.Recall);
        if (below is null)
        {
            return above.QueriesPerSecond;
        }

        double t = (recall - below.Recall) / (above.Recall - below.Recall);
        return below.QueriesPerSecond + t * (above.QueriesPerSecond - below.QueriesPerSecond);
    }

    /// <summary>|found ∩ truth| / |truth|.</summary>
    public static double Recall(IEnumerable<int> found, ReadOnlySpan<int> truth)
    {
        ArgumentNullException.ThrowIfNull(found);
        var set = new HashSet<int>(truth.ToArray());
        return set.Count == 0 ? 1 : found.Take(truth.Length).Count(set.Contains) / (double)set.Count;
    }

    /// <summary>Runs tools/ann/peers.py on the same files and settings; each library's curve, or its error.</summary>
    public static IReadOnlyList<AnnSystem> RunPeers(string script, string basePath, string queriesPath, string groundTruthPath, AnnBenchOptions options,
        TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[]
        {
            script, "--base", basePath, "--queries", queriesPath, "--ground-truth", groundTruthPath,
            "--k", options.K.ToString(CultureInfo.InvariantCulture), "--m", options.Connectivity.ToString(CultureInfo.InvariantCulture),
            "--ef-construction", options.ExpansionAdd.ToString(CultureInfo.InvariantCulture),
            "--ef", string.Join(',', options.Expansions), "--metric", options.Metric,
            "--build-threads", (options.BuildThreads == 0 ? Environment.ProcessorCount : options.BuildThreads).ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                log?.WriteLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        var systems = new List<AnnSystem>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            systems.Add(ParsePeer(line));
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} exited with {process.ExitCode} (its messages are above)");
        }

        return systems;
    }

    /// <summary>One JSON line of peers.py.</summary>
    public static AnnSystem ParsePeer(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        string name = root.GetProperty("library").GetString() ?? "?";
        if (root.TryGetProperty("error", out var error))
        {
            return new AnnSystem(name, string.Empty, 0, [], error.GetString());
        }

        return new AnnSystem(name, root.GetProperty("version").GetString() ?? string.Empty, root.GetProperty("build_seconds").GetDouble(),
            [.. root.GetProperty("points").EnumerateArray().Select(p => new AnnPoint(p.GetProperty("ef").GetInt32(), p.GetProperty("recall").GetDouble(),
                p.GetProperty("queries_per_second").GetDouble()))]);
    }

    /// <summary>A markdown report: each system's curve, then ours against each peer at matched recall.</summary>
    public static string ToMarkdown(AnnBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{r.Source}: {r.Rows:N0} x {r.Dims}, {r.Queries:N0} queries, k = {r.K}, {r.Metric}; HNSW M = {r.Connectivity}, efConstruction = {r.ExpansionAdd}; one query at a time on one thread");
        sb.AppendLine();
        sb.AppendLine("| index | ef | recall@" + r.K.ToString(CultureInfo.InvariantCulture) + " | queries/s | build |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var s in r.Systems)
        {
            if (s.Error is not null)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {s.Name} | – | – | – | {s.Error} |");
                continue;
            }

            foreach (var p in s.Points)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {s.Name} | {p.Ef} | {p.Recall:F4} | {p.QueriesPerSecond:N0} | {s.BuildSeconds:F1} s |");
            }
        }

        if (r.Matched.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("| recall | ours | peer | ours queries/s | peer queries/s | ours / peer |");
            sb.AppendLine("|---:|---|---|---:|---:|---:|");
            foreach (var m in r.Matched)
            {
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {m.Recall:F2} | {m.Ours} | {m.Peer} | {Format(m.OursQueriesPerSecond)} | {Format(m.PeerQueriesPerSecond)} | {(m.Ratio is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) + "×" : "–")} |");
            }
        }

        return sb.ToString();
    }

    private static string Format(double? qps) => qps is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "not reached";

    private static (int[] Ids, int Cols) Truth(AnnBenchOptions options, VectorTable table, float[] queries, TextWriter? log)
    {
        int rows = options.Queries.Rows;
        if (options.GroundTruth is { } gt)
        {
            if (gt.Ids.Length / Math.Max(1, gt.Cols) < rows || gt.Cols < options.K)
            {
                throw new InvalidDataException($"ground truth has {gt.Ids.Length / Math.Max(1, gt.Cols)} x {gt.Cols} neighbours; {rows} queries x k {options.K} are needed");
            }

            int bad = Array.FindIndex(gt.Ids, id => id < 0 || id >= table.Rows);
            if (bad >= 0)
            {
                throw new InvalidDataException($"ground truth row {bad / gt.Cols} names neighbour {gt.Ids[bad]}, outside the {table.Rows} base vectors");
            }

            return gt;
        }

        log?.WriteLine($"[bench recall] no ground truth given: exact top-{options.K} of {rows} queries over {table.Rows} vectors");
        using var exact = new ExactIndex(table);
        var ids = new int[rows * options.K];
        for (int i = 0; i < rows; i++)
        {
            var hits = exact.Search(queries.AsSpan(i * table.Cols, table.Cols), options.K);
            for (int j = 0; j < hits.Count; j++)
            {
                ids[i * options.K + j] = hits[j].Row;
            }
        }

        return (ids, options.K);
    }

    private static float[] Unit(VectorMatrix m)
    {
        var values = (float[])m.Values.Clone();
        for (int r = 0; r < m.Rows; r++)
        {
            var row = values.AsSpan(r * m.Cols, m.Cols);
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            if (norm > 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
            }
        }

        return values;
    }
}
