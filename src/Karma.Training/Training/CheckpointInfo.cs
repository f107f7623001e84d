using Karma.Training.Configuration;

namespace Karma.Training.Training;

/// <summary>The <c>config.json</c> of a checkpoint directory: what was trained, how, and how far.</summary>
public sealed record CheckpointInfo
{
    /// <summary>Format marker.</summary>
    public string Format { get; init; } = "karma-checkpoint";

    /// <summary>Format version.</summary>
    public int Version { get; init; } = 1;

    /// <summary><c>pretrain</c> or <c>align</c>.</summary>
    public required string Stage { get; init; }

    /// <summary>The stage-2 objective (align only).</summary>
    public string? Objective { get; init; }

    /// <summary>Model sizes.</summary>
    public required ModelConfig Model { get; init; }

    /// <summary>The full training configuration used.</summary>
    public required TrainingConfig Training { get; init; }

    /// <summary>Random seed of the run.</summary>
    public int Seed { get; init; }

    /// <summary>Optimizer steps done.</summary>
    public int Step { get; init; }

    /// <summary>Steps the run was asked for.</summary>
    public int TotalSteps { get; init; }

    /// <summary>Data directory trained on.</summary>
    public string? Data { get; init; }

    /// <summary>Parent checkpoint (stage 1 for align).</summary>
    public string? InitFrom { get; init; }

    /// <summary>Catalog image-feature mean (for the item encoder).</summary>
    public float[] ImageMean { get; init; } = [];

    /// <summary>Catalog image-feature standard deviation.</summary>
    public float[] ImageStd { get; init; } = [];

    /// <summary>SHA-256 of <c>model.safetensors</c>: ties the config (written last) to the weights, so a torn save is detected.</summary>
    public string? WeightsSha256 { get; init; }

    /// <summary>UTC time written.</summary>
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
}
