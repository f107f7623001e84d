using System.ComponentModel.DataAnnotations;

namespace Karma.Training.Configuration;

/// <summary>Stage-1 (language-model pretraining on catalog text) settings.</summary>
public sealed record PretrainConfig
{
    /// <summary>Optimizer steps.</summary>
    [Range(1, 10_000_000)] public int Steps { get; init; } = 1500;

    /// <summary>Sequences per step.</summary>
    [Range(1, 4096)] public int BatchSize { get; init; } = 64;

    /// <summary>Peak AdamW learning rate (linear warm-up, cosine decay).</summary>
    [Range(1e-6, 1.0)] public double LearningRate { get; init; } = 3e-3;

    /// <summary>Tokens per training sequence.</summary>
    [Range(8, 8192)] public int SeqLen { get; init; } = 48;

    /// <summary>Tokenizer vocabulary built from the catalog.</summary>
    [Range(64, 1 << 20)] public int VocabSize { get; init; } = 2000;
}

/// <summary>Stage-2 alignment settings: the objective weights of KARMA.</summary>
public sealed record AlignConfig
{
    /// <summary>Optimizer steps.</summary>
    [Range(1, 10_000_000)] public int Steps { get; init; } = 2000;

    /// <summary>Examples per step; the other examples' targets are the in-batch negatives.</summary>
    [Range(2, 4096)] public int BatchSize { get; init; } = 64;

    /// <summary>Peak AdamW learning rate.</summary>
    [Range(1e-6, 1.0)] public double LearningRate { get; init; } = 2e-3;

    /// <summary>Hard negatives (shown, not clicked) per example.</summary>
    [Range(0, 256)] public int HardNegatives { get; init; } = 8;

    /// <summary>Softmax temperature of cosine scores.</summary>
    [Range(1e-3, 10.0)] public double Temperature { get; init; } = 0.1;

    /// <summary>Action loss: <c>bpr</c> (pairwise logistic) or <c>infonce</c>.</summary>
    public string ActionLoss { get; init; } = "bpr";

    /// <summary>λ_gen: weight of history-conditioned generation of the target's text.</summary>
    [Range(0.0, 100.0)] public double LambdaGen { get; init; } = 0.5;

    /// <summary>λ_rec: weight of reconstructing the target's text from h_t alone.</summary>
    [Range(0.0, 100.0)] public double LambdaRec { get; init; } = 0.5;

    /// <summary>λ_img: weight of regressing the target's image feature from h_t.</summary>
    [Range(0.0, 100.0)] public double LambdaImg { get; init; } = 0.5;
}

/// <summary>Pre-ranking model settings.</summary>
public sealed record PreRankConfig
{
    /// <summary>Optimizer steps.</summary>
    [Range(1, 10_000_000)] public int Steps { get; init; } = 800;

    /// <summary>Requests per step.</summary>
    [Range(1, 4096)] public int BatchSize { get; init; } = 128;

    /// <summary>AdamW learning rate.</summary>
    [Range(1e-6, 1.0)] public double LearningRate { get; init; } = 2e-3;

    /// <summary>Hidden width of the scoring MLP.</summary>
    [Range(4, 4096)] public int Hidden { get; init; } = 64;
}

/// <summary>Everything a training run reads from its config file.</summary>
public sealed record TrainingConfig
{
    /// <summary>Model sizes.</summary>
    public ModelConfig Model { get; init; } = new();

    /// <summary>Stage 1.</summary>
    public PretrainConfig Pretrain { get; init; } = new();

    /// <summary>Stage 2.</summary>
    public AlignConfig Align { get; init; } = new();

    /// <summary>Pre-ranker.</summary>
    public PreRankConfig PreRank { get; init; } = new();

    /// <summary>Validates every section; throws <see cref="InvalidDataException"/> naming the bad setting.</summary>
    public void Validate()
    {
        foreach (object section in new object[] { Pretrain, Align, PreRank })
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
            {
                throw new InvalidDataException($"{section.GetType().Name}: " + string.Join("; ", results.Select(r => r.ErrorMessage)));
            }
        }

        if (Align.ActionLoss is not ("bpr" or "infonce"))
        {
            throw new InvalidDataException($"align.action_loss must be 'bpr' or 'infonce', found '{Align.ActionLoss}'");
        }
    }
}
