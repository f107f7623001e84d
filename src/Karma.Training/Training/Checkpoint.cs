using Karma.Core.Text;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using TorchSharp.PyBridge;

namespace Karma.Training.Training;

/// <summary>
/// A checkpoint directory: <c>config.json</c> (<see cref="CheckpointInfo"/>), <c>model.safetensors</c>,
/// <c>tokenizer.json</c>, and for resuming <c>optimizer.pt</c> and <c>trainer_state.json</c>.
/// </summary>
public static class Checkpoint
{
    /// <summary>File names inside a checkpoint directory.</summary>
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", TokenizerFile = "tokenizer.json",
        OptimizerFile = "optimizer.pt", StateFile = "trainer_state.json";

    /// <summary>
    /// Writes weights, tokenizer, optimizer and state, then the config with the weights' SHA-256 last, so a save
    /// interrupted half-way is detected on load. Metrics of older weights are removed: they no longer describe
    /// this model.
    /// </summary>
    public static void Save(string dir, CheckpointInfo info, KarmaModel model, BpeTokenizer tokenizer,
        TorchSharp.Modules.OptimizerHelper? optimizer = null, TrainerState? state = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Directory.CreateDirectory(dir);
        string weights = Path.Combine(dir, WeightsFile);
        model.save_safetensors(weights + ".tmp");
        File.Move(weights + ".tmp", weights, overwrite: true);
        tokenizer.Save(Path.Combine(dir, TokenizerFile));
        if (optimizer is not null)
        {
            string opt = Path.Combine(dir, OptimizerFile);
            optimizer.save_py(opt + ".tmp");
            File.Move(opt + ".tmp", opt, overwrite: true);
        }

        if (state is not null)
        {
            Json.Write(Path.Combine(dir, StateFile), state);
        }

        foreach (string stale in new[] { "metrics.json", "metrics.md" })
        {
            File.Delete(Path.Combine(dir, stale));
        }

        Json.Write(Path.Combine(dir, ConfigFile), info with { WeightsSha256 = WeightsHash(dir) });
    }

    /// <summary>SHA-256 (lower-case hex) of a checkpoint's weights file.</summary>
    public static string WeightsHash(string dir) => Karma.Core.Package.ModelManifest.Sha256Of(Path.Combine(dir, WeightsFile));

    /// <summary>True when <paramref name="dir"/> holds a complete checkpoint.</summary>
    public static bool Exists(string dir)
        => File.Exists(Path.Combine(dir, ConfigFile)) && File.Exists(Path.Combine(dir, WeightsFile));

    /// <summary>Reads the config of a checkpoint, with a clear error when the directory is not one.</summary>
    public static CheckpointInfo ReadInfo(string dir)
    {
        if (!Exists(dir))
        {
            throw new FileNotFoundException($"{dir} is not a checkpoint: {ConfigFile} or {WeightsFile} is missing");
        }

        var info = Json.Read<CheckpointInfo>(Path.Combine(dir, ConfigFile));
        if (info.Format != "karma-checkpoint" || info.Version != 1)
        {
            throw new InvalidDataException($"{dir}/{ConfigFile}: unsupported checkpoint format '{info.Format}' v{info.Version}");
        }

        info.Model.Validate();
        if (info.WeightsSha256 is { } expected && !string.Equals(expected, WeightsHash(dir), StringComparison.Ordinal))
        {
            throw new InvalidDataException(
                $"{dir}: {WeightsFile} does not match {ConfigFile} (a save was interrupted or a file replaced); resume from an intact checkpoint");
        }

        return info;
    }

    /// <summary>Loads model and tokenizer.</summary>
    public static (CheckpointInfo Info, KarmaModel Model, BpeTokenizer Tokenizer) Load(string dir)
    {
        var info = ReadInfo(dir);
        var tokenizer = BpeTokenizer.Load(Path.Combine(dir, TokenizerFile));
        var model = new KarmaModel(info.Model, info.ImageMean.Length > 0 ? info.ImageMean : null,
            info.ImageStd.Length > 0 ? info.ImageStd : null);
        model.load_safetensors(Path.Combine(dir, WeightsFile));
        return (info, model, tokenizer);
    }
}

/// <summary>Resumable progress of a run: steps done and the loss curve so far.</summary>
public sealed record TrainerState
{
    /// <summary>Optimizer steps done.</summary>
    public int Step { get; init; }

    /// <summary>Mean losses per logging window: step and named values.</summary>
    public List<LossPoint> Curve { get; init; } = [];

    /// <summary>Seconds of training so far (across resumes).</summary>
    public double Seconds { get; init; }
}

/// <summary>One point of the loss curve.</summary>
public sealed record LossPoint(int Step, Dictionary<string, double> Values);
