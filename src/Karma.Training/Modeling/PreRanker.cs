using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Karma.Training.Modeling;

/// <summary>
/// Query-aware pre-ranking scorer of the hybrid Search path: an MLP over the standardised request–candidate features
/// (KARMA score, BM25, query and history category matches, popularity, price: Karma.Search's FeatureSet), optionally
/// with the element-wise product u∘e of the interest embedding and the candidate's embedding, which lets it weigh
/// embedding dimensions differently from the plain inner product. Outputs a logit per candidate.
/// </summary>
public sealed class PreRanker : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    /// <summary>Feature standardisation (training mean and std), saved with the weights.</summary>
    public Tensor feature_mean, feature_std;

    /// <summary>MLP layers.</summary>
    public Linear fc1, fc2, fc3;

    /// <summary>Creates the scorer.</summary>
    /// <param name="features">Number of features F.</param>
    /// <param name="embedDim">Embedding width D.</param>
    /// <param name="hidden">Hidden width.</param>
    /// <param name="interaction">Also feed u∘e (D more inputs).</param>
    /// <param name="mean">Per-feature training mean (zeros when null).</param>
    /// <param name="std">Per-feature training std (ones when null). A feature that hardly varied in training (std below
    /// 1e-3, e.g. has_query on data where every request has one) keeps its raw scale (std 1): dividing by its tiny std
    /// would turn a value never seen in training into an input of ±1000.</param>
    public PreRanker(int features, int embedDim, int hidden, bool interaction, float[]? mean = null, float[]? std = null)
        : base(nameof(PreRanker))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        Features = features;
        EmbedDim = embedDim;
        Interaction = interaction;
        feature_mean = mean is null ? zeros(features) : tensor(mean);
        feature_std = std is null ? ones(features) : tensor(std.Select(s => s < 1e-3f ? 1f : s).ToArray());
        fc1 = nn.Linear(features + (interaction ? embedDim : 0), hidden);
        fc2 = nn.Linear(hidden, hidden);
        fc3 = nn.Linear(hidden, 1);
        RegisterComponents();
    }

    /// <summary>Number of features F.</summary>
    public int Features { get; }

    /// <summary>Embedding width D.</summary>
    public int EmbedDim { get; }

    /// <summary>Whether u∘e is an input.</summary>
    public bool Interaction { get; }

    /// <summary>user [B, D] (broadcast over candidates), candidates [B, C, D], features [B, C, F] → logits [B, C].</summary>
    public override Tensor forward(Tensor user, Tensor candidates, Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = (features - feature_mean) / feature_std;
        if (Interaction)
        {
            x = cat([x, user.unsqueeze(1) * candidates], -1);
        }

        var h = nn.functional.gelu(fc1.forward(x));
        h = nn.functional.gelu(fc2.forward(h));
        return fc3.forward(h).squeeze(-1).MoveToOuterDisposeScope();
    }
}
