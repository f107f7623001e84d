using System.Text.Json.Serialization;

namespace Karma.Training.Objectives;

/// <summary>The form of L_act, the next-engagement loss over the clicked item, hard and in-batch negatives.</summary>
public enum ActionLoss
{
    /// <summary>Pairwise logistic loss, −log σ(s⁺ − s⁻) averaged over pairs (the paper's choice).</summary>
    Bpr,

    /// <summary>Softmax cross-entropy of the clicked item against all its negatives.</summary>
    [JsonStringEnumMemberName("infonce")]
    InfoNce,
}
