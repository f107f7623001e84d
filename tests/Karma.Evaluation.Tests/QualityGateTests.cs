using Karma.Evaluation.Systems;
using Karma.Training.Configuration;

namespace Karma.Evaluation.Tests;

/// <summary>The gate's verdict on hand-made reports (the export path is tested in Karma.Export.Tests).</summary>
public sealed class QualityGateTests
{
    private static Dictionary<string, double> Metrics(double hr50, double hr200, double cold = 0.8)
        => QualityEvaluator.MetricNames.ToDictionary(m => m, m => m switch
        {
            "HR@50" => hr50,
            "HR@200" => hr200,
            "cold HR@200" => cold,
            _ => 0.5,
        });

    private static SystemQuality System(string name, string kind, double hr50, double hr200)
        => new() { Name = name, Description = name, Kind = kind, Metrics = Metrics(hr50, hr200) };

    /// <summary>Search against two baselines; bm25+history is the best on both metrics.</summary>
    private static QualityReport Report(double low200, ExplainAccuracy? explain = null) => new()
    {
        Package = "p", ModelVersion = "v", Data = "d", Split = "test", Examples = 1000,
        ExplainAccuracy = explain,
        Systems =
        [
            System("search", "search", 0.78, 0.95), System("karma channel", "channel", 0.58, 0.82),
            System("bm25", "baseline", 0.53, 0.77), System("bm25+history", "baseline", 0.57, 0.84),
        ],
        Comparisons =
        [
            new("search", "bm25", "HR@50", 0.25, 0.23, 0.27, true), new("search", "bm25", "HR@200", 0.18, 0.16, 0.20, true),
            new("search", "bm25+history", "HR@50", 0.21, 0.19, 0.23, true),
            new("search", "bm25+history", "HR@200", 0.11, low200, 0.13, low200 > 0),
        ],
    };

    private static readonly Dictionary<string, double> Checkpoint = new()
    {
        [QualityGate.SemanticFidelityMetric] = 0.81, [QualityGate.SinkMassMetric] = 0.45,
    };

    [Fact]
    public void AModelBeatingTheBestBaseline_AboveItsFloors_Passes()
    {
        var q = QualityGate.Judge(Report(0.09, new ExplainAccuracy(0.85, 0.9, 0.93, 1000)), Checkpoint,
            new QualityGateConfig { MinEmbeddingHr200 = 0.7, MaxSinkMass = 0.6, MinExplainLeaf = 0.5, MinSemanticFidelity = 0.8 }, forced: false);
        Assert.True(q.Gate.Passed, q.Gate.Summary);
        Assert.False(q.Gate.Forced);
        Assert.Equal(6, q.Gate.Checks.Count);
        Assert.Equal(0.84, q.Figures["best_baseline_hr200"]);
        Assert.Equal(0.85, q.Figures["explain_category_leaf"]);
        Assert.StartsWith("quality gate PASSED", q.Gate.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIntervalReachingZero_AgainstTheBestBaseline_Fails_NamingTheBaseline()
    {
        var q = QualityGate.Judge(Report(-0.01), Checkpoint, new QualityGateConfig(), forced: false);
        Assert.False(q.Gate.Passed);
        var failed = Assert.Single(q.Gate.Checks, c => !c.Passed);
        Assert.Equal("search beats the best baseline on HR@200", failed.Name);
        Assert.Contains("bm25+history", failed.Detail, StringComparison.Ordinal);
        Assert.Contains("FAILED", q.Gate.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void FloorsFail_ByName_AndAMissingFigureFailsItsFloor()
    {
        var q = QualityGate.Judge(Report(0.09, explain: null), Checkpoint,
            new QualityGateConfig { MinEmbeddingHr200 = 0.9, MaxSinkMass = 0.4, MinExplainLeaf = 0.5 }, forced: true);
        Assert.False(q.Gate.Passed);
        Assert.True(q.Gate.Forced);
        Assert.Equal(["embedding HR@200", "attention-sink mass", "Explain names the target's leaf category"],
            q.Gate.Checks.Where(c => !c.Passed).Select(c => c.Name));
        Assert.Contains("written with --force", q.Gate.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void AMetricNotComparedWithTheBaselines_IsASettingError()
    {
        var e = Assert.Throws<InvalidDataException>(() => QualityGate.Judge(Report(0.09), Checkpoint, new QualityGateConfig { Metrics = ["NDCG@10"] }, false));
        Assert.Contains("gate.metrics", e.Message, StringComparison.Ordinal);
    }
}
