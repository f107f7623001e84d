using static TorchSharp.torch;

namespace Karma.Training.Training;

/// <summary>The loss of one optimizer step: the total that carries the gradient and each named term's value.</summary>
/// <param name="Total">The weighted sum to back-propagate.</param>
/// <param name="Values">Each term's unweighted value by name, in reporting order (the loss curve's lines).</param>
public sealed record StepLoss(Tensor Total, IReadOnlyList<KeyValuePair<string, float>> Values)
{
    /// <summary>The terms as a progress-line fragment: <c>act 0.412 gen 2.310</c>.</summary>
    public string Describe() => string.Join(' ', Values.Select(v => $"{v.Key} {v.Value:F3}"));
}
