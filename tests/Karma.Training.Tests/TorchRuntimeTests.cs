using Karma.Training.Training;

namespace Karma.Training.Tests;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void StepRandom_IsTheSameInEveryProcess()
    {
        // Fixed values: a per-process hash seed (HashCode) would make these differ between runs.
        Assert.Equal(StepValue(1, 0), StepValue(1, 0));
        Assert.Equal(267136960, TorchRuntime.StepRandom(1, 0).Next());
        Assert.NotEqual(StepValue(1, 0), StepValue(1, 1));
        Assert.NotEqual(StepValue(1, 0), StepValue(2, 0));
    }

    private static int StepValue(int seed, int step) => TorchRuntime.StepRandom(seed, step).Next();
}
