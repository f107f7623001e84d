using Karma.Core.Text;
using Karma.Training.Modeling;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Karma.Training.Training;

/// <summary>What distinguishes one stage's loop: its names in logs and plots, and its step count, batch and rate.</summary>
/// <param name="Label">The progress-line label (<c>pretrain</c>, <c>align karma</c>).</param>
/// <param name="Unit">What a batch row is, for the throughput (<c>seq</c>, <c>ex</c>).</param>
/// <param name="Steps">Optimizer steps of the whole run.</param>
/// <param name="BatchSize">Rows per step.</param>
/// <param name="LearningRate">The schedule's peak rate.</param>
/// <param name="PlotTitle">The loss plot's title.</param>
public sealed record TrainingStage(string Label, string Unit, int Steps, int BatchSize, double LearningRate, string PlotTitle);

/// <summary>
/// The optimisation loop both stages share: AdamW (restored when resuming), a random source per step drawn from the
/// seed and the step (so a resumed run draws exactly what an unbroken one would), the learning-rate schedule, one
/// dispose scope per step, gradient clipping at norm 1, the loss curve averaged over windows of
/// <see cref="CurveWindow"/> steps, progress lines, and checkpoints with the loss plot at the configured interval, at
/// an early stop and at the end. A stage supplies its batch and loss, one <see cref="StepLoss"/> per step.
/// </summary>
public static class TrainingLoop
{
    /// <summary>Steps averaged into one point of the loss curve.</summary>
    public const int CurveWindow = 50;

    /// <summary>Runs <paramref name="stage"/> from <paramref name="start"/> and returns the state of its last checkpoint.</summary>
    /// <param name="options">The run's directories, seed, checkpoint interval and log.</param>
    /// <param name="stage">The stage's names and sizes.</param>
    /// <param name="start">Where the run starts (step 0, or a resumed checkpoint's state).</param>
    /// <param name="checkpoint">What each checkpoint saves: the run's description, the model and its tokenizer.</param>
    /// <param name="parameters">The parameters the optimizer trains.</param>
    /// <param name="lossOf">The loss of one step given its random source, computed inside the step's dispose scope.</param>
    public static TrainerState Run(RunOptions options, TrainingStage stage, TrainerState start,
        (CheckpointInfo Info, KarmaModel Model, BpeTokenizer Tokenizer) checkpoint, IReadOnlyList<Parameter> parameters,
        Func<Random, StepLoss> lossOf)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stage);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(lossOf);
        var (info, model, tokenizer) = checkpoint;
        using var optimizer = optim.AdamW(parameters, stage.LearningRate, weight_decay: 0.01);
        string optimizerFile = Path.Combine(options.OutDir, Checkpoint.OptimizerFile);
        if (start.Step > 0 && File.Exists(optimizerFile))
        {
            optimizer.load_py(optimizerFile);
        }

        model.train();
        var log = options.Log ?? Console.Error;
        var progress = new ProgressReporter(stage.Label, stage.Steps, stage.Unit, log, startStep: start.Step);
        var window = new CurveWindowSums();
        var state = start;
        for (int step = start.Step; step < stage.Steps; step++)
        {
            var rng = TorchRuntime.StepRandom(options.Seed, step);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = LearningRateSchedule.At(step, stage.Steps, stage.LearningRate);
            }

            StepLoss loss;
            using (var scope = NewDisposeScope())
            {
                loss = lossOf(rng);
                optimizer.zero_grad();
                loss.Total.backward();
                nn.utils.clip_grad_norm_(parameters, 1.0);
                optimizer.step();
            }

            int done = step + 1;
            window.Add(loss);
            if (done % CurveWindow == 0 || done == stage.Steps)
            {
                start.Curve.Add(window.Flush(done));
            }

            progress.Report(done, (long)(done - start.Step) * stage.BatchSize, loss.Describe);
            bool stop = options.StopAtStep is { } stopAt && done >= stopAt;
            if (done == stage.Steps || stop || (options.CheckpointEvery > 0 && done % options.CheckpointEvery == 0))
            {
                state = new TrainerState { Step = done, Curve = start.Curve, Seconds = start.Seconds + progress.Elapsed.TotalSeconds };
                Checkpoint.Save(options.OutDir, info with { Step = done, Created = DateTimeOffset.UtcNow }, model, tokenizer, optimizer, state);
                LossCurvePlot.Save(state.Curve, Path.Combine(options.OutDir, LossCurvePlot.FileName), stage.PlotTitle);
            }

            if (stop)
            {
                break;
            }
        }

        return state;
    }

    /// <summary>Sums of each term's values over the current curve window.</summary>
    private sealed class CurveWindowSums
    {
        private readonly Dictionary<string, double> _sums = [];
        private int _steps;

        public void Add(StepLoss loss)
        {
            foreach (var (name, value) in loss.Values)
            {
                _sums[name] = _sums.GetValueOrDefault(name) + value;
            }

            _steps++;
        }

        public LossPoint Flush(int step)
        {
            var point = new LossPoint(step, _sums.ToDictionary(kv => kv.Key, kv => kv.Value / _steps));
            _sums.Clear();
            _steps = 0;
            return point;
        }
    }
}
