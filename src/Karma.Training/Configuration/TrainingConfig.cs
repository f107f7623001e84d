using System.ComponentModel.DataAnnotations;
using Karma.Training.Objectives;

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
    [EnumDataType(typeof(ActionLoss))] public ActionLoss ActionLoss { get; init; } = ActionLoss.Bpr;

    /// <summary>λ_gen: weight of history-conditioned generation of the target's text.</summary>
    [Range(0.0, 100.0)] public double LambdaGen { get; init; } = 0.5;

    /// <summary>λ_rec: weight of reconstructing the target's text from h_t alone.</summary>
    [Range(0.0, 100.0)] public double LambdaRec { get; init; } = 0.5;

    /// <summary>
    /// With a pretrained text encoder: weight of L_rec's decoder into the encoder's space (h_t → the target's sentence
    /// embedding); null uses <see cref="LambdaRec"/>. Setting <see cref="LambdaRec"/> to 0 and this above 0 keeps only
    /// the decoder into the pretrained space.
    /// </summary>
    [Range(0.0, 100.0)] public double? LambdaSem { get; init; }

    /// <summary>λ_img: weight of regressing the target's image feature from h_t.</summary>
    [Range(0.0, 100.0)] public double LambdaImg { get; init; } = 0.5;

    /// <summary>
    /// Probability that a training example with a query is shown without its history (query-only), so that the
    /// tower learns to read the query alone and a history pointing elsewhere does not swamp it.
    /// </summary>
    [Range(0.0, 1.0)] public double HistoryDropout { get; init; }
}

/// <summary>
/// Settings of the query-aware pre-ranker, trained at export on the Search path's own candidates for the
/// validation requests (which the user tower never trained on).
/// </summary>
public sealed record PreRankConfig
{
    /// <summary>Optimizer steps.</summary>
    [Range(1, 10_000_000)] public int Steps { get; init; } = 1500;

    /// <summary>Requests per step.</summary>
    [Range(1, 4096)] public int BatchSize { get; init; } = 64;

    /// <summary>AdamW learning rate.</summary>
    [Range(1e-6, 1.0)] public double LearningRate { get; init; } = 3e-3;

    /// <summary>AdamW weight decay.</summary>
    [Range(0.0, 1.0)] public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Hidden width of the scoring MLP.</summary>
    [Range(4, 4096)] public int Hidden { get; init; } = 64;

    /// <summary>Also feed u∘e (the element-wise product of interest and candidate embeddings) to the MLP.</summary>
    public bool Interaction { get; init; } = true;

    /// <summary>Recalled candidates sampled per training request besides the clicked one.</summary>
    [Range(1, 100_000)] public int Negatives { get; init; } = 127;

    /// <summary>Recall budget per request (Search's recall_k) the candidates are drawn with.</summary>
    [Range(1, 100_000)] public int RecallK { get; init; } = 1000;

    /// <summary>Share of the recall budget for the KARMA embedding channel.</summary>
    [Range(0.0, 1.0)] public double KarmaShare { get; init; } = 0.5;

    /// <summary>Share of the recall budget for the BM25 channel.</summary>
    [Range(0.0, 1.0)] public double LexicalShare { get; init; } = 0.3;

    /// <summary>Share of the recall budget for the intent-category channel.</summary>
    [Range(0.0, 1.0)] public double CategoryShare { get; init; } = 0.2;

    /// <summary>Share of the validation requests held out for model selection.</summary>
    [Range(0.0, 0.9)] public double HoldoutShare { get; init; } = 0.15;

    /// <summary>
    /// Share of the training requests with a query that are shown without their history (h_t and features recomputed),
    /// so the pre-ranker also learns the requests of users without history (new or logged out), which validation
    /// requests never are.
    /// </summary>
    [Range(0.0, 1.0)] public double NoHistoryShare { get; init; } = 0.15;

    /// <summary>Most validation requests used (a 1M-item catalog makes each one costly to recall exactly).</summary>
    [Range(10, 10_000_000)] public int MaxExamples { get; init; } = 20_000;
}

/// <summary>
/// The quality gate <c>karma export</c> applies to the package it wrote, on the data's test requests through the
/// Search path: Search must beat the best non-neural baseline on every metric of <see cref="Metrics"/> (the paired 95%
/// interval of the difference above 0), and the floors must hold. A floor of 0 (or a ceiling of 1) is not checked.
/// </summary>
public sealed record QualityGateConfig
{
    /// <summary>Metrics on which Search must significantly beat the best baseline (names as in the quality report).</summary>
    public IReadOnlyList<string> Metrics { get; init; } = ["HR@50", "HR@200"];

    /// <summary>Least HR@200 of the embedding alone (the karma channel: h_t against the item table).</summary>
    [Range(0.0, 1.0)] public double MinEmbeddingHr200 { get; init; }

    /// <summary>Least Search HR@200 on requests whose target was never engaged in training.</summary>
    [Range(0.0, 1.0)] public double MinColdHr200 { get; init; }

    /// <summary>Least semantic fidelity SF@50 of h_t (from the checkpoint's evaluation).</summary>
    [Range(0.0, 1.0)] public double MinSemanticFidelity { get; init; }

    /// <summary>Most attention mass on the most-attended position (the "attention sink" of semantic collapse).</summary>
    [Range(0.0, 1.0)] public double MaxSinkMass { get; init; } = 1.0;

    /// <summary>Least share of test requests whose Explain words name the target's leaf category (a decodable h_t).</summary>
    [Range(0.0, 1.0)] public double MinExplainLeaf { get; init; }
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

    /// <summary>The quality gate at export.</summary>
    public QualityGateConfig Gate { get; init; } = new();

    /// <summary>Validates every section; throws <see cref="InvalidDataException"/> naming the bad setting.</summary>
    public void Validate()
    {
        foreach (object section in new object[] { Pretrain, Align, PreRank, Gate })
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
            {
                throw new InvalidDataException($"{section.GetType().Name}: " + string.Join("; ", results.Select(r => r.ErrorMessage)));
            }
        }
    }
}
