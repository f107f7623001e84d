using Karma.Training.Configuration;

namespace Karma.Training.Training;

/// <summary>What every training command shares: data, output, configuration, seed and resume.</summary>
public sealed record RunOptions
{
    /// <summary>Directory with items.jsonl and events.csv.</summary>
    public required string DataDir { get; init; }

    /// <summary>Checkpoint directory to write.</summary>
    public required string OutDir { get; init; }

    /// <summary>Training configuration.</summary>
    public TrainingConfig Config { get; init; } = new();

    /// <summary>Random seed (weights, sampling).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Continue from the checkpoint in <see cref="OutDir"/> when one exists.</summary>
    public bool Resume { get; init; }

    /// <summary>Save a resumable checkpoint every this many steps (0: only at the end).</summary>
    public int CheckpointEvery { get; init; } = 500;

    /// <summary>Stop (with a checkpoint) once this step is reached, as an interruption would; null runs to the end.</summary>
    public int? StopAtStep { get; init; }

    /// <summary>Where progress lines go (standard error by default).</summary>
    public TextWriter? Log { get; init; }
}
