using System.Diagnostics;
using Karma.Core.Data;
using Karma.Core.Evaluation;
using Karma.Evaluation.Systems;

namespace Karma.Evaluation;

/// <summary>Settings of <see cref="QualityEvaluator.Run"/>.</summary>
public sealed record QualityOptions
{
    /// <summary>Model package.</summary>
    public required string PackageDir { get; init; }

    /// <summary>Data directory in the documented format (the split is rebuilt from it).</summary>
    public required string DataDir { get; init; }

    /// <summary>Evaluate on the validation requests instead of the test requests.</summary>
    public bool Validation { get; init; }

    /// <summary>Results per list: Search's top_n.</summary>
    public int Depth { get; init; } = 200;

    /// <summary>Bootstrap replicates of each interval.</summary>
    public int Replicates { get; init; } = PairedBootstrap.DefaultReplicates;

    /// <summary>Seed of the bootstrap.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Channel shares of Search's recall budget (null: the ones the package's pre-ranker was trained with).</summary>
    public Karma.Search.Hybrid.ChannelQuotas? Quotas { get; init; }

    /// <summary>Also rank with the frozen pretrained text encoder (<see cref="PretrainedTextBaseline"/>; about a minute more on 10k items).</summary>
    public bool PretrainedBaseline { get; init; }
}

/// <summary>A finished evaluation: the report and every system's per-example outcomes (same example order).</summary>
public sealed record QualityResult(QualityReport Report, IReadOnlyList<EvaluationExample> Examples,
    IReadOnlyDictionary<string, ExampleOutcomes> Outcomes, IReadOnlyList<string> ItemIds);

/// <summary>
/// Evaluates a model package's Search path on held-out requests against strong non-neural baselines on the same
/// examples: popularity, BM25 over the query, BM25 plus a history-category boost (its weight tuned on the validation
/// requests), and popularity within the query's category; plus each recall channel alone. Every list is ranked over
/// the whole catalog, and every difference to Search comes with a paired bootstrap 95% interval. Popularity and
/// every other statistic come from the training split only.
/// </summary>
public static class QualityEvaluator
{
    /// <summary>The metrics reported per system.</summary>
    public static readonly string[] MetricNames =
        ["HR@10", "HR@50", "HR@200", "NDCG@10", "CatP@10", "OOI HR@50", "OOI HR@200", "cold HR@200"];

    /// <summary>The metrics every system is compared to Search on.</summary>
    public static readonly string[] ComparedMetrics = ["HR@10", "HR@50", "HR@200", "CatP@10", "OOI HR@200"];

    /// <summary>Runs the evaluation; progress lines go to <paramref name="log"/>.</summary>
    public static QualityResult Run(QualityOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        log ??= Console.Error;
        var clock = Stopwatch.StartNew();
        var data = SearchLog.Load(options.DataDir);
        using var runner = new PackageRunner(options.PackageDir, data, options.Quotas);
        var split = TemporalSplit.Build(data, runner.MaxHistory);
        var examples = EvaluationExample.From(data, split, options.Validation ? split.Validation : split.Test);
        if (examples.Count == 0)
        {
            throw new InvalidDataException($"{options.DataDir}: no {(options.Validation ? "validation" : "test")} requests (users need at least two engaged requests)");
        }

        var validation = EvaluationExample.From(data, split, split.Validation);
        log.WriteLine($"[quality] {examples.Count} {(options.Validation ? "validation" : "test")} requests, {data.Items.Count} items, package {runner.ModelVersion}");
        using var stats = new CatalogStatistics(data, split);
        double weight = Bm25HistoryBaseline.Tune(stats, validation);
        log.WriteLine($"[quality] bm25+history weight {weight:G3} (best HR@50 on {validation.Count} validation requests)");
        List<IRankingSystem> baselines =
        [
            new PopularityBaseline(stats), new Bm25Baseline(stats), new Bm25HistoryBaseline(stats, weight), new CategoryPopularityBaseline(stats),
        ];
        if (options.PretrainedBaseline)
        {
            log.WriteLine("[quality] pretrained-text baseline: loading all-MiniLM-L6-v2 and embedding the catalog");
            baselines.Add(new PretrainedTextBaseline(stats, data.Items, Karma.Training.Pretrained.PretrainedText.LoadMiniLm(),
                new Progress<string>(m => log.WriteLine($"[quality] pretrained-text: {m}"))));
        }
        var lists = new List<(string Name, string Description, string Kind, IReadOnlyList<int[]> Ranked)>();
        var package = runner.Run(data, examples, options.Depth, new Progress<string>(m => log.WriteLine($"[quality] search path: {m}")));
        var q = runner.Pipeline.Quotas;
        lists.Add(("search", $"the Search call: hybrid recall of {runner.RecallK} (shares karma {q.Karma:P0}, lexical {q.Lexical:P0}, category {q.Category:P0}), pre-ranked", "search", package.Search));
        lists.Add(("search, no history", "the same call with the history left out, as for a new user (browse requests: nothing)", "search",
            package.SearchWithoutHistory));
        lists.Add(("karma channel", "nearest items to the interest embedding h_t (exact)", "channel", package.KarmaChannel));
        lists.Add(("lexical channel", "the package's BM25 channel alone", "channel", package.LexicalChannel));
        lists.Add(("category channel", "popular items of the request's likeliest categories (lexical and embedding readings)", "channel", package.CategoryChannel));
        lists.Add(("fused (RRF)", "the channels' candidates by reciprocal-rank fusion, before the pre-ranker", "channel", package.Fused));
        foreach (var b in baselines)
        {
            log.WriteLine($"[quality] baseline {b.Name} ({clock.Elapsed.TotalSeconds:F0} s)");
            lists.Add((b.Name, b.Description, "baseline", b.RankAll(examples, options.Depth)));
        }

        var outcomes = lists.ToDictionary(l => l.Name, l => new ExampleOutcomes(examples, l.Ranked, stats.Leaf));
        var systems = lists.Select(l => new SystemQuality
        {
            Name = l.Name, Description = l.Description, Kind = l.Kind, Metrics = Metrics(examples, outcomes[l.Name]),
        }).ToList();
        var comparisons = new List<Comparison>();
        foreach (var other in lists.Where(l => l.Name != "search"))
        {
            foreach (string metric in ComparedMetrics)
            {
                var (a, b) = (PerExample(examples, outcomes["search"], metric), PerExample(examples, outcomes[other.Name], metric));
                var d = PairedBootstrap.Difference(a, b, options.Replicates, 0.95, options.Seed);
                comparisons.Add(new Comparison("search", other.Name, metric, d.Mean, d.Low, d.High, d.Significant));
            }
        }

        var report = new QualityReport
        {
            Package = Path.GetFullPath(options.PackageDir),
            ModelVersion = runner.ModelVersion,
            Data = Path.GetFullPath(options.DataDir),
            Split = options.Validation ? "validation" : "test",
            Examples = examples.Count,
            OutOfInterest = examples.Count(e => e.OutOfInterest),
            Cold = examples.Count(e => e.Cold),
            Items = data.Items.Count,
            RecallK = runner.RecallK,
            Depth = options.Depth,
            Bm25HistoryWeight = weight,
            CandidateRecall = package.CandidateRecall.Average(),
            IntentAccuracy = package.Intent,
            ExplainAccuracy = package.Explain,
            PreRankGauc = package.PreRankGauc,
            GaucRequests = package.GaucRequests,
            Systems = systems,
            Comparisons = comparisons,
            Seconds = clock.Elapsed.TotalSeconds,
        };
        return new QualityResult(report, examples, outcomes, data.Items.Select(i => i.ItemId).ToList());
    }

    /// <summary>The per-example values behind a metric, for the examples of its subset (e.g. out-of-interest requests), in example order.</summary>
    public static double[] PerExample(IReadOnlyList<EvaluationExample> examples, ExampleOutcomes outcomes, string metric)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(outcomes);
        var (subset, values) = Definition(examples, outcomes, metric);
        return values.Where((_, i) => subset(examples[i])).ToArray();
    }

    private static Dictionary<string, double> Metrics(IReadOnlyList<EvaluationExample> examples, ExampleOutcomes outcomes)
        => MetricNames.ToDictionary(m => m, m =>
        {
            double[] v = PerExample(examples, outcomes, m);
            return v.Length == 0 ? double.NaN : v.Average();
        });

    private static (Func<EvaluationExample, bool> Subset, double[] Values) Definition(IReadOnlyList<EvaluationExample> examples,
        ExampleOutcomes o, string metric) => metric switch
    {
        "HR@10" => (_ => true, o.Hits(10)),
        "HR@50" => (_ => true, o.Hits(50)),
        "HR@200" => (_ => true, o.Hits(200)),
        "NDCG@10" => (_ => true, o.Ndcg10()),
        "CatP@10" => (_ => true, o.CategoryPrecision10),
        "OOI HR@50" => (e => e.OutOfInterest, o.Hits(50)),
        "OOI HR@200" => (e => e.OutOfInterest, o.Hits(200)),
        "cold HR@200" => (e => e.Cold, o.Hits(200)),
        _ => throw new ArgumentException($"unknown metric '{metric}'", nameof(metric)),
    };
}
