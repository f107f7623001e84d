using Karma.Training.Configuration;
using static TorchSharp.torch;

namespace Karma.Training.Objectives;

/// <summary>
/// A train-only regularizer of stage 2, added to L_act with its weight when the objective switches on its family.
/// Terms are registered once, by name, in <see cref="LossTerms.Registered"/>; the training loop, the loss curve and the
/// progress lines take them from there.
/// </summary>
public interface ILossTerm
{
    /// <summary>The term's name in loss curves and progress lines (<c>gen</c>, <c>rec</c>, …).</summary>
    string Name { get; }

    /// <summary>The objective family that switches the term on.</summary>
    Regularizers Family { get; }

    /// <summary>The term's weight λ.</summary>
    double Weight(AlignConfig config);

    /// <summary>The unweighted loss of the batch, or null when the model or batch has nothing for it to fit.</summary>
    Tensor? Loss(AlignForward forward);
}
