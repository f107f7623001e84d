using System.Globalization;
using System.Text;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Model;
using Karma.Serving.Core.Search;

namespace Karma.Bench;

/// <summary>Pre-ranking one request's candidate set of one size.</summary>
public sealed record PreRankPoint(int Candidates, LatencySummary Latency, double CandidatesPerSecond);

/// <summary>What <see cref="PreRankBench"/> measured.</summary>
public sealed record PreRankBenchResult(string ModelVersion, string Device, IReadOnlyList<PreRankPoint> Points);

/// <summary>
/// Pre-ranking as Search runs it (<see cref="SearchPipeline.Score"/>: gather candidate embeddings, compute the
/// request–candidate features, one ONNX Runtime run) by candidate count, one request at a time, with interests,
/// histories and queries from real sampled contexts.
/// </summary>
public static class PreRankBench
{
    /// <summary>Runs the suite.</summary>
    public static PreRankBenchResult Run(ModelPackage package, IReadOnlyList<int> candidateCounts, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(candidateCounts);
        foreach (int c in candidateCounts)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(c, 1, nameof(candidateCounts));
        }

        var encoder = new InterestEncoder(package);
        using var index = new ExactIndex(package.Embeddings);
        var pipeline = new SearchPipeline(package, index, package.DefaultQuotas);
        var contexts = SampledInputs.Take(package.Catalog, 16, seed: 5);
        var interests = encoder.Encode(contexts, out _);
        var history = contexts.Select(c => encoder.Prepare(c).Context.Rows).ToArray();
        var rng = new Random(3);
        var points = new List<PreRankPoint>();
        foreach (int c in candidateCounts)
        {
            var sets = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, c).Select(_ => rng.Next(package.Catalog.Count)).ToArray()).ToArray();
            var latency = LatencySummary.Time(i =>
            {
                int u = i % interests.Length;
                using var matches = pipeline.Match(contexts[u].Query);
                pipeline.Score(pipeline.Context(interests[u], history[u], contexts[u].Query, matches), sets[i % sets.Length]);
            }, Math.Clamp(100_000 / c, 100, 500), warmup: sets.Length);
            var point = new PreRankPoint(c, latency, c * 1000 / latency.Mean);
            points.Add(point);
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[bench prerank] {c,5} candidates: p50 {latency.P50:F3} ms, p99 {latency.P99:F3} ms, {point.CandidatesPerSecond:F0} candidates/s"));
        }

        return new PreRankBenchResult(package.Version, package.Device, points);
    }

    /// <summary>A markdown table of the result.</summary>
    public static string ToMarkdown(PreRankBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"pre-ranker of {r.ModelVersion} on {r.Device}, one request at a time");
        sb.AppendLine();
        sb.AppendLine("| candidates | p50 (ms) | p99 (ms) | candidates/s |");
        sb.AppendLine("|---:|---:|---:|---:|");
        foreach (var p in r.Points)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {p.Candidates} | {p.Latency.P50:F3} | {p.Latency.P99:F3} | {p.CandidatesPerSecond:F0} |");
        }

        return sb.ToString();
    }
}
