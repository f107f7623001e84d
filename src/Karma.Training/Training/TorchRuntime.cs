using static TorchSharp.torch;

namespace Karma.Training.Training;

/// <summary>Process-wide TorchSharp settings every run starts with.</summary>
public static class TorchRuntime
{
    /// <summary>Seeds libtorch and returns a managed RNG seeded the same way.</summary>
    public static void Seed(int seed)
    {
        manual_seed(seed);
        set_num_threads(Math.Max(1, Environment.ProcessorCount));
    }

    /// <summary>A per-step RNG, so sampling after a resume is the same as in an uninterrupted run.</summary>
    public static Random StepRandom(int seed, int step) => new(HashCode.Combine(seed, step, 0x5eed));
}
