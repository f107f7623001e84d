using Karma.Core.Package;
using Karma.Training.Configuration;
using Karma.Training.Training;

namespace Karma.Training.Tests;

/// <summary>The pre-ranker trainer on candidate sets whose answer is known.</summary>
public sealed class PreRankTrainerTests : IDisposable
{
    private const int Items = 50, Dim = 4, Features = 3;
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-prerank-").FullName;
    private readonly VectorTable _table;
    private readonly TorchSharp.torch.Tensor _tensor;

    public PreRankTrainerTests()
    {
        var rng = new Random(2);
        string path = Path.Combine(_dir, "e.bin");
        VectorTableWriter.Write(path, Enumerable.Range(0, Items * Dim).Select(_ => (float)rng.NextDouble()).ToArray(), Items, Dim, VectorElementType.Float32);
        _table = VectorTable.Open(path);
        _tensor = PreRankTrainer.TableTensor(_table);
    }

    public void Dispose()
    {
        _tensor.Dispose();
        _table.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>
    /// Requests of 20 candidates, target first: feature 1 is 2 + noise for the target and noise for the others, features 0
    /// and 2 are noise. A pre-ranker that learned anything ranks the target first.
    /// </summary>
    private static PreRankExamples Data(int requests, int width, int seed, bool signal = true)
    {
        var rng = new Random(seed);
        var rows = new List<PreRankExamples.Row>();
        for (int r = 0; r < requests; r++)
        {
            int[] candidates = Enumerable.Range(0, Items).OrderBy(_ => rng.Next()).Take(20).ToArray();
            var features = new float[candidates.Length * Features];
            for (int c = 0; c < candidates.Length; c++)
            {
                for (int f = 0; f < Features; f++)
                {
                    features[(c * Features) + f] = (float)rng.NextDouble();
                }

                features[(c * Features) + 1] += signal && c == 0 ? 2f : 0f;
            }

            rows.Add(new PreRankExamples.Row(Enumerable.Range(0, Dim).Select(_ => (float)rng.NextDouble()).ToArray(), candidates, features));
        }

        return PreRankExamples.FromRows(Dim, Features, width, rows);
    }

    [Fact]
    public void Train_LearnsTheInformativeFeature_AndKeepsTheBestHeldOutStep()
    {
        var config = new PreRankConfig { Steps = 200, BatchSize = 16, Hidden = 16 };
        var (model, fit) = PreRankTrainer.Train(config, Data(200, 20, 1), Data(40, 0, 2), _tensor, seed: 3, TextWriter.Null);
        using (model)
        {
            Assert.Equal(1.0, fit.HoldoutHr10);
            Assert.True(fit.HoldoutLoss < Math.Log(20) / 2, $"held-out loss {fit.HoldoutLoss:F3}; uniform scores give {Math.Log(20):F3}");
            Assert.InRange(fit.BestStep, 1, 200);
            var row = Data(1, 0, 9).Rows[0];
            float[] scores = PreRankTrainer.Score(model, row.Interest, row.Candidates, row.Features, _tensor);
            Assert.Equal(0, Array.IndexOf(scores, scores.Max()));
        }
    }

    [Fact]
    public void Train_WithoutSignal_StaysNearUniform()
    {
        var config = new PreRankConfig { Steps = 100, BatchSize = 16, Hidden = 16 };
        var (model, fit) = PreRankTrainer.Train(config, Data(200, 20, 1, signal: false), Data(100, 0, 2, signal: false), _tensor, seed: 3, TextWriter.Null);
        using (model)
        {
            Assert.InRange(fit.HoldoutHr10, 0.2, 0.8); // chance is 10/20
        }
    }

    [Fact]
    public void Train_NothingRecalled_SaysSo()
    {
        var empty = PreRankExamples.FromRows(Dim, Features, 20, []);
        var e = Assert.Throws<InvalidDataException>(() => PreRankTrainer.Train(new PreRankConfig(), empty, empty, _tensor, 1, TextWriter.Null));
        Assert.Contains("recalled candidates", e.Message, StringComparison.Ordinal);
    }
}
