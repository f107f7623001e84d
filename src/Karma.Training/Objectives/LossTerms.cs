using Karma.Training.Objectives.Terms;

namespace Karma.Training.Objectives;

/// <summary>The registry of stage-2 loss terms beside L_act.</summary>
public static class LossTerms
{
    /// <summary>Every regularizer, in the order they are summed and reported. Adding one: its class and a line here.</summary>
    public static readonly IReadOnlyList<ILossTerm> Registered =
    [
        new GenerationLoss(),
        new TextReconstructionLoss(),
        new SentenceReconstructionLoss(),
        new ImageReconstructionLoss(),
    ];
}
