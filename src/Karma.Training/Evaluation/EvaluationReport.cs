namespace Karma.Training.Evaluation;

/// <summary>Everything <c>karma eval</c> measures for one checkpoint.</summary>
public sealed record EvaluationReport
{
    /// <summary>Checkpoint evaluated.</summary>
    public required string Checkpoint { get; init; }

    /// <summary>Objective it was trained with.</summary>
    public string? Objective { get; init; }

    /// <summary>Items in the ranked table.</summary>
    public int Items { get; init; }

    /// <summary>The model's recall on the test split (each user's last engagement).</summary>
    public required SplitMetrics Model { get; init; }

    /// <summary>Most-engaged-in-training baseline on the same examples.</summary>
    public required SplitMetrics Popularity { get; init; }

    /// <summary>Linear-probe semantic fidelity of h_t: share of the target text's tokens in the probe's top 50.</summary>
    public double SemanticFidelity50 { get; init; }

    /// <summary>Attention-sink diagnostics of the backbone on test sequences.</summary>
    public required AttentionSinkReport AttentionSinks { get; init; }

    /// <summary>SHA-256 of the evaluated weights (ties the report to them).</summary>
    public string? WeightsSha256 { get; init; }

    /// <summary>Seconds the evaluation took.</summary>
    public double Seconds { get; init; }
}

/// <summary>How much attention collapses onto single key positions.</summary>
/// <param name="MaxKeyMass">Mean over layers, heads and query positions (t ≥ 1) of the largest attention weight.</param>
/// <param name="FirstPositionMass">Mean attention weight on position 0 ([BOS]).</param>
/// <param name="UniformReference">What <paramref name="MaxKeyMass"/> would be under uniform causal attention.</param>
/// <param name="PerLayerMaxKeyMass">Per-layer means of the largest attention weight.</param>
public sealed record AttentionSinkReport(double MaxKeyMass, double FirstPositionMass, double UniformReference, double[] PerLayerMaxKeyMass);
