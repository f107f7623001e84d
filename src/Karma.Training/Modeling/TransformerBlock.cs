using static TorchSharp.torch;

namespace Karma.Training.Modeling;

/// <summary>Pre-norm decoder block: x + attn(norm(x)), then + ffn(norm(x)).</summary>
public sealed class TransformerBlock : nn.Module
{
    /// <summary>Sub-modules, LLaMA names.</summary>
    public RmsNorm attention_norm, ffn_norm;

    /// <summary>Self-attention.</summary>
    public Attention attention;

    /// <summary>SwiGLU block.</summary>
    public FeedForward feed_forward;

    /// <summary>Creates one block.</summary>
    public TransformerBlock(int dModel, int heads, int ffnHidden, double eps) : base(nameof(TransformerBlock))
    {
        attention_norm = new RmsNorm(dModel, eps);
        attention = new Attention(dModel, heads);
        ffn_norm = new RmsNorm(dModel, eps);
        feed_forward = new FeedForward(dModel, ffnHidden);
        RegisterComponents();
    }

    /// <summary>Runs the block; see <see cref="Attention.Forward"/> for the arguments.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor bias, List<Tensor>? probabilities)
    {
        using var scope = NewDisposeScope();
        var h = x + attention.Forward(attention_norm.forward(x), cos, sin, bias, probabilities);
        return (h + feed_forward.forward(ffn_norm.forward(h))).MoveToOuterDisposeScope();
    }
}
