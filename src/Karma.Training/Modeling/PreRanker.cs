using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Karma.Training.Modeling;

/// <summary>
/// Pre-ranking scorer: an MLP over [u, e, u∘e, features] where u is the user vector (the KARMA interest
/// embedding h_t, or for the baseline the mean of the history items' embeddings), e the candidate's
/// retrieval embedding and features a few candidate statistics. Outputs a click logit per candidate.
/// </summary>
public sealed class PreRanker : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    /// <summary>Number of candidate features (log popularity, log price).</summary>
    public const int FeatureCount = 2;

    /// <summary>MLP layers.</summary>
    public Linear fc1, fc2, fc3;

    /// <summary>Creates the scorer for embeddings of width <paramref name="embedDim"/>.</summary>
    public PreRanker(int embedDim, int hidden) : base(nameof(PreRanker))
    {
        fc1 = nn.Linear(3 * embedDim + FeatureCount, hidden);
        fc2 = nn.Linear(hidden, hidden);
        fc3 = nn.Linear(hidden, 1);
        RegisterComponents();
    }

    /// <summary>user [B, D] (broadcast over candidates), candidates [B, C, D], features [B, C, F] → logits [B, C].</summary>
    public override Tensor forward(Tensor user, Tensor candidates, Tensor features)
    {
        using var scope = NewDisposeScope();
        var u = user.unsqueeze(1).expand_as(candidates);
        var x = cat([u, candidates, u * candidates, features], -1);
        var h = nn.functional.gelu(fc1.forward(x));
        h = nn.functional.gelu(fc2.forward(h));
        return fc3.forward(h).squeeze(-1).MoveToOuterDisposeScope();
    }
}
