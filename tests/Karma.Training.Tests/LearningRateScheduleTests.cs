using Karma.Training.Training;

namespace Karma.Training.Tests;

public sealed class LearningRateScheduleTests
{
    [Fact]
    public void WarmsUpThenDecaysToTenPercent()
    {
        Assert.Equal(0.2, LearningRateSchedule.At(0, 100, 1.0), 9);  // warm-up of 5 steps
        Assert.Equal(1.0, LearningRateSchedule.At(4, 100, 1.0), 9);
        Assert.Equal(0.1, LearningRateSchedule.At(100, 100, 1.0), 9);
        for (int s = 5; s < 100; s++)
        {
            Assert.True(LearningRateSchedule.At(s + 1, 100, 1.0) <= LearningRateSchedule.At(s, 100, 1.0));
        }
    }
}
