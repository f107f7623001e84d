using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Karma.Training.Modeling;

/// <summary>SwiGLU feed-forward: w2(silu(w1 x) * w3 x), LLaMA names.</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    /// <summary>Gate, down and up projections.</summary>
    public Linear w1, w2, w3;

    /// <summary>Creates the block.</summary>
    public FeedForward(int dModel, int hidden) : base(nameof(FeedForward))
    {
        w1 = nn.Linear(dModel, hidden, hasBias: false);
        w2 = nn.Linear(hidden, dModel, hasBias: false);
        w3 = nn.Linear(dModel, hidden, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return w2.forward(nn.functional.silu(w1.forward(input)) * w3.forward(input)).MoveToOuterDisposeScope();
    }
}
