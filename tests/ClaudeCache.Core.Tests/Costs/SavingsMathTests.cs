using ClaudeCache.Costs;

namespace ClaudeCache.Tests.Costs;

public sealed class SavingsMathTests
{
    [Fact]
    public void Project_WeekToFourWeeks_ScalesByTheRatio()
    {
        Assert.Equal(280m, SavingsMath.Project(70m, TimeSpan.FromDays(7), TimeSpan.FromDays(28))); // 70 × 28 / 7
    }

    [Fact]
    public void Project_OneDayToAverageMonthAndYear_UsesGregorianAverages()
    {
        Assert.Equal(30.4375m, SavingsMath.Project(1m, TimeSpan.FromDays(1), SavingsMath.AverageMonth)); // 365.25 / 12
        Assert.Equal(365.25m, SavingsMath.Project(1m, TimeSpan.FromDays(1), SavingsMath.AverageYear));
        Assert.Equal(12m, SavingsMath.Project(1m, SavingsMath.AverageMonth, SavingsMath.AverageYear));
    }

    [Fact]
    public void Project_EmptyWindow_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SavingsMath.Project(1m, TimeSpan.Zero, SavingsMath.AverageMonth));
    }

    [Theory]
    [InlineData("300", "100", "2")]    // (300 − 100) / 100
    [InlineData("50", "100", "-0.5")]  // (50 − 100) / 100: the cache costs more than it saves
    [InlineData("100", "100", "0")]
    public void ReturnOnInvestment_IsNetSavingsOverInfrastructureCost(string savings, string infrastructure, string expected)
    {
        Assert.Equal(D(expected), SavingsMath.ReturnOnInvestment(D(savings), D(infrastructure)));
    }

    [Fact]
    public void ReturnOnInvestment_FreeInfrastructure_IsUndefined()
    {
        Assert.Null(SavingsMath.ReturnOnInvestment(10m, 0m));
    }

    [Fact]
    public void ReturnOnInvestment_NegativeInfrastructureCost_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SavingsMath.ReturnOnInvestment(10m, -1m));
    }

    private static decimal D(string value) => decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
}
