using Karma.Training.Configuration;

namespace Karma.Training.Training;

/// <summary>Refuses to resume a checkpoint under different settings, which would silently mix two runs.</summary>
public static class ResumeGuard
{
    /// <summary>Throws naming the first setting that differs between the checkpoint and this run.</summary>
    public static void Check(string dir, params (string Name, object? Saved, object? Requested)[] settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var (name, saved, requested) in settings)
        {
            if (!Equals(saved, requested))
            {
                throw new InvalidDataException(
                    $"{dir}: cannot resume: {name} differ (checkpoint: {saved}, this run: {requested}); use another --out or the original settings");
            }
        }
    }

    /// <summary>Reads trainer_state.json and checks it belongs to the saved weights' step.</summary>
    public static TrainerState ReadState(string dir, CheckpointInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        string path = Path.Combine(dir, Checkpoint.StateFile);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{dir}: {Checkpoint.StateFile} is missing; cannot resume");
        }

        var state = Json.Read<TrainerState>(path);
        if (state.Step != info.Step)
        {
            throw new InvalidDataException(
                $"{dir}: {Checkpoint.StateFile} is at step {state.Step} but {Checkpoint.ConfigFile} at step {info.Step} (interrupted save); cannot resume");
        }

        return state;
    }
}
