namespace Karma.Evaluation;

/// <summary>One system's figures on the evaluated examples.</summary>
public sealed record SystemQuality
{
    /// <summary>Name.</summary>
    public required string Name { get; init; }

    /// <summary>What it does.</summary>
    public required string Description { get; init; }

    /// <summary><c>search</c> (the served path), <c>channel</c> (one recall channel alone) or <c>baseline</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Metric name → value (HR@10, HR@50, HR@200, NDCG@10, CatP@10, and the out-of-interest and cold subsets).</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
}

/// <summary>A paired comparison of two systems on one metric.</summary>
public sealed record Comparison(string A, string B, string Metric, double Difference, double Low, double High, bool Significant);

/// <summary>Everything <c>karma eval --package</c> measured.</summary>
public sealed record QualityReport
{
    /// <summary>The package evaluated.</summary>
    public required string Package { get; init; }

    /// <summary>Its model version.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>The data directory.</summary>
    public required string Data { get; init; }

    /// <summary><c>test</c> or <c>validation</c>.</summary>
    public required string Split { get; init; }

    /// <summary>Examples evaluated.</summary>
    public int Examples { get; init; }

    /// <summary>Examples whose target category is absent from the history.</summary>
    public int OutOfInterest { get; init; }

    /// <summary>Examples whose target had no training-period engagement.</summary>
    public int Cold { get; init; }

    /// <summary>Items in the catalog.</summary>
    public int Items { get; init; }

    /// <summary>Search's recall budget.</summary>
    public int RecallK { get; init; }

    /// <summary>Results per list (Search's top_n).</summary>
    public int Depth { get; init; }

    /// <summary>The BM25 + history baseline's weight, tuned on the validation requests.</summary>
    public double Bm25HistoryWeight { get; init; }

    /// <summary>Share of examples whose target was among Search's fused candidates.</summary>
    public double CandidateRecall { get; init; }

    /// <summary>How often each reading of the request's intent names the target's category first.</summary>
    public Systems.IntentAccuracy? IntentAccuracy { get; init; }

    /// <summary>How often Explain's decoded words name the target's category (null: the package has no decoder).</summary>
    public Systems.ExplainAccuracy? ExplainAccuracy { get; init; }

    /// <summary>The pre-ranker's gAUC over the examples' impressions.</summary>
    public double PreRankGauc { get; init; }

    /// <summary>Requests counted in <see cref="PreRankGauc"/>.</summary>
    public int GaucRequests { get; init; }

    /// <summary>Every system's figures.</summary>
    public required IReadOnlyList<SystemQuality> Systems { get; init; }

    /// <summary>Search against every other system, paired bootstrap 95% intervals.</summary>
    public required IReadOnlyList<Comparison> Comparisons { get; init; }

    /// <summary>Seconds the evaluation took.</summary>
    public double Seconds { get; init; }
}
