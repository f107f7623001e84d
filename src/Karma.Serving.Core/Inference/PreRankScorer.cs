using Karma.Core.Package;
using Karma.Serving.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace Karma.Serving.Core.Inference;

/// <summary>
/// Runs the package's pre-ranker on one request's candidates: the interest embedding [1, D], the candidates'
/// embeddings [1, C, D] and their request–candidate features [1, C, F] (computed by Karma.Search's
/// CandidateFeatures), over caller-owned buffers without copies. Thread-safe.
/// </summary>
public sealed class PreRankScorer
{
    private static readonly string[] InputNames = [TowerNames.User, TowerNames.Candidates, TowerNames.Features];
    private static readonly string[] OutputNames = [TowerNames.Scores];

    private readonly ModelPackage _package;
    private readonly int _dim, _features;

    /// <summary>Creates the scorer.</summary>
    public PreRankScorer(ModelPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        _package = package;
        _dim = package.Manifest.Dimensions.EmbedDim;
        _features = package.PreRankFeatures.Count;
    }

    /// <summary>Logits of <paramref name="count"/> candidates, in order.</summary>
    /// <param name="interest">The interest embedding (length D).</param>
    /// <param name="candidates">The candidates' embeddings, row-major; at least count × D values.</param>
    /// <param name="features">The candidates' features, row-major; at least count × F values.</param>
    /// <param name="count">Number of candidates.</param>
    public float[] Score(float[] interest, Memory<float> candidates, Memory<float> features, int count)
    {
        ArgumentNullException.ThrowIfNull(interest);
        if (interest.Length != _dim)
        {
            throw new ArgumentException($"interest has {interest.Length} values, the model {_dim}", nameof(interest));
        }

        if (candidates.Length < count * _dim || features.Length < count * _features)
        {
            throw new ArgumentException($"{count} candidates need {count * _dim} embedding and {count * _features} feature values");
        }

        if (count == 0)
        {
            return [];
        }

        using var u = OrtValue.CreateTensorValueFromMemory(interest, [1, _dim]);
        using var e = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, candidates[..(count * _dim)], [1, count, _dim]);
        using var f = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, features[..(count * _features)], [1, count, _features]);
        using var runOptions = new RunOptions();
        using var outputs = _package.PreRank.Run(runOptions, InputNames, [u, e, f], OutputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
