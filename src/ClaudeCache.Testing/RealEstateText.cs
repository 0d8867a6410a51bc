namespace ClaudeCache.Testing;

/// <summary>The vocabulary of <see cref="RealEstateWorkload"/>.</summary>
internal static class RealEstateText
{
    public const string AnalystSystem =
        "You are a senior real-estate analyst working for a residential brokerage. Agents send you listings and ask " +
        "for a written analysis they can share with buyers and sellers. For every property, assess the asking price " +
        "against recent comparable sales in the same neighbourhood, adjusting for living area, lot size, bedroom and " +
        "bathroom count, age, condition and notable features such as garages, pools or recent renovations. Estimate a " +
        "fair market value range and say how confident you are, naming the facts that drive the uncertainty. When the " +
        "property could be an investment, estimate achievable monthly rent, gross yield, net operating income after " +
        "taxes, insurance, maintenance and vacancy, and the resulting capitalisation rate. Point out risks a careful " +
        "buyer would want inspected: roof age, foundation, drainage, electrical panels, plumbing materials, permits " +
        "for additions and any homeowners-association restrictions. Mention school ratings, commute times and local " +
        "amenities only when they plausibly affect value. Be concrete and quantitative, state assumptions explicitly, " +
        "never invent comparable addresses, and do not give legal or tax advice; suggest the appropriate professional " +
        "instead. Write in short paragraphs with a one-line summary first, followed by valuation, investment view, " +
        "risks and a recommended next step for the agent. Keep the whole answer under four hundred words unless the " +
        "agent asks for more detail, and use US dollars and square feet throughout.";

    public const string LeadSystem =
        "You qualify inbound real-estate leads for a brokerage. From the lead's message, extract budget, timeline, " +
        "financing status, desired area, property type and motivation, then score the lead from 1 to 10 and suggest " +
        "the agent's next action. Answer in a compact, structured form.";

    public const string MarketSystem =
        "You are a housing-market analyst. Summarise prices, inventory, days on market and the direction of the " +
        "market for the area asked about, with the caveats a careful analyst would give.";

    public const string TutorSystem = "You explain real-estate and property-investment concepts to new agents, plainly and briefly.";

    public const string CoachSystem =
        "You are a live sales coach listening to a real-estate agent's call. Reply with one or two short, practical " +
        "suggestions the agent can use in their very next sentence.";

    public static readonly string[] Streets =
    [
        "Maple Avenue", "Oak Street", "Cedar Lane", "Pine Ridge Road", "Elm Court", "Willow Way", "Lakeview Drive",
        "Sunset Boulevard", "Highland Terrace", "Riverbend Circle", "Magnolia Place", "Birch Hollow",
    ];

    public static readonly (string City, string State, string Zip)[] Cities =
    [
        ("Austin", "TX", "78704"), ("Denver", "CO", "80205"), ("Raleigh", "NC", "27603"), ("Phoenix", "AZ", "85016"),
        ("Nashville", "TN", "37206"), ("Tampa", "FL", "33606"), ("Boise", "ID", "83702"), ("Columbus", "OH", "43215"),
        ("Sacramento", "CA", "95816"), ("Charlotte", "NC", "28203"),
    ];

    public static readonly string[] Features =
    [
        "a renovated kitchen", "a detached two-car garage", "a new roof (2022)", "an in-ground pool", "solar panels",
        "original hardwood floors", "a finished basement", "a large corner lot", "an accessory dwelling unit",
        "a 1970s electrical panel", "a shared driveway", "HOA dues of $250/month",
    ];

    public static readonly string[] Explanations =
    [
        "Explain what a cap rate is", "Explain what a 1031 exchange is", "Explain how escrow works",
        "Explain the difference between pre-qualification and pre-approval", "Explain what PMI is and when it ends",
        "Explain what a contingency clause is", "Explain how comparable sales are chosen",
        "Explain what cash-on-cash return means", "Explain what an appraisal gap is", "Explain what earnest money is",
        "Explain the debt-service coverage ratio", "Explain what a seller concession is",
    ];

    public static readonly string[] LeadNames = ["Maria", "James", "Priya", "Daniel", "Chen", "Olivia", "Ahmed", "Sofia"];

    public static readonly string[] Timelines = ["within 30 days", "in the next three months", "by the end of the year", "sometime next year", "whenever the right place comes up"];

    public static readonly string[] Financing = ["pre-approved with a lender", "paying cash", "still talking to banks", "selling my current home first", "using a VA loan"];

    public static readonly string[] CoachingMoments =
    [
        "The buyer just said the price feels too high compared to the house down the street.",
        "The seller is asking why we should list at a lower price than their neighbour got last year.",
        "The lead says they want to wait for interest rates to drop before buying.",
        "The buyer is worried the inspection report mentioned foundation cracks.",
        "The caller asks why our commission is higher than a discount brokerage.",
        "The seller wants to skip staging to save money.",
    ];

    public static readonly string[] AgentOpeners =
    [
        "I'm on a call with a client right now.", "Quick one, live call in progress.", "Need help fast, client on the line.",
    ];
}
