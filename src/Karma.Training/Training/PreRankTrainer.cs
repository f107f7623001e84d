using Karma.Core.Package;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using static TorchSharp.torch;

namespace Karma.Training.Training;

/// <summary>What a pre-ranker training run did.</summary>
/// <param name="TrainExamples">Examples trained on (target recalled).</param>
/// <param name="HoldoutExamples">Held-out examples used for model selection (target recalled).</param>
/// <param name="CandidateRecall">Share of all offered examples whose target the fused recall found.</param>
/// <param name="BestStep">Step whose weights were kept (lowest held-out loss).</param>
/// <param name="HoldoutLoss">Held-out listwise loss at that step.</param>
/// <param name="HoldoutHr10">Held-out share of recalled targets ranked in the top 10 of their candidate set.</param>
/// <param name="HoldoutHr50">The same for the top 50.</param>
/// <param name="HoldoutSearchHr50">
/// HR@50 of the whole Search path on the held-out requests: targets the recall missed count as misses. A validation
/// figure: these requests are neither the tower's nor the pre-ranker's training data, nor test requests.
/// </param>
/// <param name="HoldoutSearchHr200">The same at 200.</param>
public sealed record PreRankFit(int TrainExamples, int HoldoutExamples, double CandidateRecall, int BestStep, double HoldoutLoss,
    double HoldoutHr10, double HoldoutHr50, double HoldoutSearchHr50 = double.NaN, double HoldoutSearchHr200 = double.NaN);

/// <summary>
/// Trains the query-aware pre-ranker on the Search path's own candidates (<see cref="PreRankExamples"/>) with a
/// listwise softmax loss: the clicked item against the other recalled candidates of its request, which is the
/// ranking Search asks of it. Requests are held out from the user tower's training (the validation split), so the
/// pre-ranker learns how far to trust h_t on requests the tower never saw. Model selection: the step with the lowest
/// loss on a held-out share of those requests, each ranked against its whole candidate set.
/// </summary>
public static class PreRankTrainer
{
    /// <summary>Trains; returns the selected model (eval mode) and what happened.</summary>
    public static (PreRanker Model, PreRankFit Fit) Train(PreRankConfig config, PreRankExamples train, PreRankExamples holdout,
        Tensor table, int seed, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(holdout);
        ArgumentNullException.ThrowIfNull(table);
        if (train.Rows.Count == 0)
        {
            throw new InvalidDataException("pre-ranker: no training request had its clicked item among the recalled candidates");
        }

        log ??= Console.Error;
        manual_seed(seed);
        int d = train.Dimensions, f = train.FeatureCount, w = train.Width;
        var (mean, std) = Standardisation(train);
        var model = new PreRanker(f, d, config.Hidden, config.Interaction, mean, std);
        using var users = tensor(train.Rows.SelectMany(r => r.Interest).ToArray(), [train.Rows.Count, d]);
        var (rows, valid) = Padded(train, w);
        using var rowTensor = tensor(rows, [train.Rows.Count, w]);
        using var validTensor = tensor(valid, [train.Rows.Count, w]);
        using var featureTensor = tensor(PaddedFeatures(train, w), [train.Rows.Count, w, f]);
        using var opt = optim.AdamW(model.parameters(), config.LearningRate, weight_decay: config.WeightDecay);
        var progress = new ProgressReporter("prerank", config.Steps, "req", log);
        int b = Math.Min(config.BatchSize, train.Rows.Count);
        Dictionary<string, Tensor>? best = null;
        var bestFit = (Step: 0, Loss: double.PositiveInfinity, Hr10: double.NaN, Hr50: double.NaN, Hr200: double.NaN);
        int evalEvery = Math.Max(1, config.Steps / 20);
        for (int step = 0; step < config.Steps; step++)
        {
            var rng = TorchRuntime.StepRandom(seed, step);
            long[] picks = new long[b];
            for (int i = 0; i < b; i++)
            {
                picks[i] = rng.Next(train.Rows.Count);
            }

            model.train();
            float lossValue;
            using (var scope = NewDisposeScope())
            {
                var index = tensor(picks);
                var r = rowTensor.index_select(0, index);
                var cand = table.index_select(0, r.clamp_min(0).flatten()).view(b, w, d);
                var logits = model.forward(users.index_select(0, index), cand, featureTensor.index_select(0, index));
                var loss = ListwiseLoss(logits, validTensor.index_select(0, index));
                opt.zero_grad();
                loss.backward();
                opt.step();
                lossValue = loss.item<float>();
            }

            if ((step + 1) % evalEvery == 0 || step + 1 == config.Steps)
            {
                var (loss, hr10, hr50, hr200) = Evaluate(model, holdout, table);
                if (holdout.Rows.Count == 0 || loss < bestFit.Loss)
                {
                    bestFit = (step + 1, loss, hr10, hr50, hr200);
                    DisposeAll(best);
                    best = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                }
            }

            progress.Report(step + 1, (long)(step + 1) * b, () => $"loss {lossValue:F3}  best held-out {bestFit.Loss:F3} @ {bestFit.Step}");
        }

        if (best is not null)
        {
            model.load_state_dict(best);
            DisposeAll(best);
        }

        model.eval();
        double holdoutRecall = holdout.CandidateRecall;
        log.WriteLine($"[prerank] kept step {bestFit.Step}: held-out loss {bestFit.Loss:F4}, HR@10 {bestFit.Hr10:F4}, HR@50 {bestFit.Hr50:F4} " +
            $"within the candidate set ({holdout.Rows.Count} requests); candidate recall {holdoutRecall:P1}; held-out Search HR@50 " +
            $"{bestFit.Hr50 * holdoutRecall:F4}, HR@200 {bestFit.Hr200 * holdoutRecall:F4}");
        int total = train.Total + holdout.Total;
        double recall = total == 0 ? double.NaN : (train.Recalled + holdout.Recalled) / (double)total;
        return (model, new PreRankFit(train.Rows.Count, holdout.Rows.Count, recall, bestFit.Step, bestFit.Loss, bestFit.Hr10, bestFit.Hr50,
            bestFit.Hr50 * holdoutRecall, bestFit.Hr200 * holdoutRecall));
    }

    /// <summary>Logits of one request's candidates (rows and features as the service computes them).</summary>
    public static float[] Score(PreRanker model, float[] interest, int[] rows, float[] features, Tensor table)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(interest);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(table);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int c = rows.Length, d = interest.Length;
        var cand = table.index_select(0, tensor(rows.Select(r => (long)r).ToArray())).view(1, c, d);
        var logits = model.forward(tensor(interest, [1, d]), cand, tensor(features, [1, c, model.Features]));
        return logits.data<float>().ToArray();
    }

    /// <summary>The embedding table as a [N, D] tensor.</summary>
    public static Tensor TableTensor(VectorTable embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        int d = embeddings.Cols;
        var values = new float[(long)embeddings.Rows * d];
        for (int r = 0; r < embeddings.Rows; r++)
        {
            embeddings.CopyRow(r, values.AsSpan(r * d, d));
        }

        return tensor(values, [embeddings.Rows, d]);
    }

    /// <summary>−log softmax of the target (candidate 0) among the valid candidates, averaged over requests.</summary>
    private static Tensor ListwiseLoss(Tensor logits, Tensor valid)
    {
        var masked = logits.masked_fill(valid.logical_not(), float.NegativeInfinity);
        return (-nn.functional.log_softmax(masked, 1).select(1, 0)).mean();
    }

    /// <summary>Held-out loss and hit rates, each request ranked against its whole candidate set.</summary>
    private static (double Loss, double Hr10, double Hr50, double Hr200) Evaluate(PreRanker model, PreRankExamples holdout, Tensor table)
    {
        if (holdout.Rows.Count == 0)
        {
            return (double.NaN, double.NaN, double.NaN, double.NaN);
        }

        model.eval();
        double loss = 0, hr10 = 0, hr50 = 0, hr200 = 0;
        foreach (var row in holdout.Rows)
        {
            float[] logits = Score(model, row.Interest, row.Candidates, row.Features, table);
            float target = logits[0];
            // Ties count against the target (a constant scorer must not look perfect); the service breaks them by row.
            int rank = logits.Count(l => l >= target) - 1;
            double max = logits.Max();
            double logSum = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
            loss += logSum - target;
            hr10 += rank < 10 ? 1 : 0;
            hr50 += rank < 50 ? 1 : 0;
            hr200 += rank < 200 ? 1 : 0;
        }

        int n = holdout.Rows.Count;
        return (loss / n, hr10 / n, hr50 / n, hr200 / n);
    }

    private static (float[] Mean, float[] Std) Standardisation(PreRankExamples data)
    {
        int f = data.FeatureCount;
        var sum = new double[f];
        var sq = new double[f];
        long n = 0;
        foreach (var row in data.Rows)
        {
            for (int c = 0; c < row.Candidates.Length; c++)
            {
                for (int j = 0; j < f; j++)
                {
                    double x = row.Features[(c * f) + j];
                    sum[j] += x;
                    sq[j] += x * x;
                }

                n++;
            }
        }

        var mean = new float[f];
        var std = new float[f];
        for (int j = 0; j < f; j++)
        {
            double m = sum[j] / n;
            mean[j] = (float)m;
            std[j] = (float)Math.Sqrt(Math.Max(0, (sq[j] / n) - (m * m)));
        }

        return (mean, std);
    }

    private static (long[] Rows, bool[] Valid) Padded(PreRankExamples data, int width)
    {
        var rows = new long[data.Rows.Count * width];
        var valid = new bool[rows.Length];
        Array.Fill(rows, -1);
        for (int e = 0; e < data.Rows.Count; e++)
        {
            var candidates = data.Rows[e].Candidates;
            for (int c = 0; c < candidates.Length && c < width; c++)
            {
                rows[(e * width) + c] = candidates[c];
                valid[(e * width) + c] = true;
            }
        }

        return (rows, valid);
    }

    private static float[] PaddedFeatures(PreRankExamples data, int width)
    {
        int f = data.FeatureCount;
        var features = new float[data.Rows.Count * width * f];
        for (int e = 0; e < data.Rows.Count; e++)
        {
            var source = data.Rows[e].Features;
            int count = Math.Min(source.Length, width * f);
            Array.Copy(source, 0, features, e * width * f, count);
        }

        return features;
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null)
        {
            return;
        }

        foreach (var t in tensors.Values)
        {
            t.Dispose();
        }
    }
}
