using Karma.Core.Package;
using Microsoft.ML.OnnxRuntime;

namespace Karma.Serving.Core.Inference;

/// <summary>
/// The user tower's inputs for one batch, laid out by <see cref="InterestEncoder.Gather"/>: token ids [B, T],
/// history tokens [B, T, d], the [INT] position of each row [B] and, for a model with a pretrained text encoder, the
/// queries' sentence embeddings [B, E].
/// </summary>
public sealed record UserTowerBatch(long[] InputIds, float[] HistoryTokens, long[] InterestPositions, int Batch, int Length, int DModel,
    float[]? QueryEmbeddings = null)
{
    private static readonly string[] TokenInputs = [TowerNames.InputIds, TowerNames.HistoryTokens, TowerNames.InterestPosition];
    private static readonly string[] TextInputs = [.. TokenInputs, TowerNames.QueryEmbedding];

    /// <summary>The graph's input names, in the order of <see cref="OrtInputs.Values"/>.</summary>
    public IReadOnlyCollection<string> InputNames => QueryEmbeddings is null ? TokenInputs : TextInputs;

    /// <summary>The graph's output name.</summary>
    public static IReadOnlyCollection<string> OutputNames { get; } = [TowerNames.Interest];

    /// <summary>OrtValues over this batch's arrays (no copy); dispose after the run.</summary>
    /// <exception cref="InvalidOperationException">An array's length does not match the batch's shape.</exception>
    public OrtInputs CreateInputs()
    {
        if (InputIds.Length != Batch * Length || HistoryTokens.Length != Batch * Length * DModel || InterestPositions.Length != Batch
            || (QueryEmbeddings is not null && (QueryEmbeddings.Length == 0 || QueryEmbeddings.Length % Batch != 0)))
        {
            throw new InvalidOperationException(
                $"user-tower batch arrays ({InputIds.Length}, {HistoryTokens.Length}, {InterestPositions.Length}) do not match [{Batch}, {Length}, {DModel}]");
        }

        var values = new List<OrtValue>(4);
        try
        {
            values.Add(OrtValue.CreateTensorValueFromMemory(InputIds, [Batch, Length]));
            values.Add(OrtValue.CreateTensorValueFromMemory(HistoryTokens, [Batch, Length, DModel]));
            values.Add(OrtValue.CreateTensorValueFromMemory(InterestPositions, [Batch]));
            if (QueryEmbeddings is not null)
            {
                values.Add(OrtValue.CreateTensorValueFromMemory(QueryEmbeddings, [Batch, QueryEmbeddings.Length / Batch]));
            }

            return new OrtInputs(values);
        }
        catch
        {
            values.ForEach(v => v.Dispose());
            throw;
        }
    }
}

/// <summary>A set of input OrtValues disposed together.</summary>
public sealed class OrtInputs(IReadOnlyCollection<OrtValue> values) : IDisposable
{
    /// <summary>The values, in input-name order.</summary>
    public IReadOnlyCollection<OrtValue> Values { get; } = values;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var v in Values)
        {
            v.Dispose();
        }
    }
}
