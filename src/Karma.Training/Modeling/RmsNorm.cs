using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Karma.Training.Modeling;

/// <summary>Root-mean-square layer norm (no mean subtraction, no bias), as in LLaMA.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double _eps;

    /// <summary>Learned per-channel gain, initialised to one.</summary>
    public Parameter weight;

    /// <summary>Creates the norm over the last dimension of width <paramref name="dim"/>.</summary>
    public RmsNorm(long dim, double eps) : base(nameof(RmsNorm))
    {
        _eps = eps;
        weight = nn.Parameter(ones(dim));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        // x·x, not pow(2): the same numbers (libtorch squares for exponent 2), without the temporary Scalar that a
        // long ablation once saw freed under its native call ("INTERNAL ASSERT FAILED at Scalar.h").
        var variance = (input * input).mean([-1], keepdim: true);
        return (input * rsqrt(variance + _eps) * weight).MoveToOuterDisposeScope();
    }
}
