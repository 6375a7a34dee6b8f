"""Writes tests/data/en_instructions_sample.jsonl and tests/data/ko_instructions_sample.jsonl.

Every sentence below was written for this project (none is copied from a data set). The
samples exercise the near-duplicate filter: distinct instructions, clusters of light
rewrites of one instruction (some just above, some just below ROUGE-L 0.7), and
toolformer-style instructions that share a long preamble and differ only in the last line.
The variants are derived with fixed, listed edits, so re-running this script rewrites the
same files byte for byte.

    python bench/make_samples.py
"""
from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "data"

EN_BASE = [
    "Give three tips for keeping a small vegetable garden healthy through a dry summer.",
    "Explain the difference between a virus and a bacterium to a ten-year-old.",
    "Write a short poem about the first snowfall of the year in a quiet town.",
    "Summarize the main causes of the French Revolution in one paragraph.",
    "Translate the sentence 'Where is the nearest train station?' into Spanish.",
    "List five questions a job candidate could ask at the end of an interview.",
    "Write a Python function that checks whether a string is a palindrome.",
    "Describe how a refrigerator keeps food cold, step by step.",
    "Suggest a name for a bakery that specializes in sourdough bread.",
    "Rewrite the following sentence in the passive voice: The committee approved the new budget.",
    "What are the advantages and disadvantages of working from home?",
    "Create a weekly workout plan for a beginner who can exercise three days a week.",
    "Explain what a hash table is and when you would use one.",
    "Write an email to a landlord asking for a broken heater to be repaired.",
    "Classify the following animals as mammals, birds or reptiles: eagle, whale, lizard, bat.",
    "Give an example of a metaphor and explain its meaning.",
    "Plan a two-day itinerary for a first visit to Kyoto.",
    "Write a SQL query that returns the ten customers with the highest total order value.",
    "Explain why the sky looks red at sunset.",
    "Compose a friendly reminder to a team about tomorrow's deadline.",
    "Describe the water cycle in four sentences.",
    "Write a haiku about a cat sleeping in the sun.",
    "Convert 72 degrees Fahrenheit to Celsius and show the calculation.",
    "What is the capital of Canada, and why was it chosen?",
    "Outline the plot of a mystery story set on a night train.",
    "Write a JavaScript function that removes duplicate values from an array.",
    "Explain the rules of chess castling in simple terms.",
    "Suggest four healthy snacks for a long car trip.",
    "Draft a short speech congratulating a colleague on their retirement.",
    "Explain the difference between weather and climate.",
    "Write a limerick about a forgetful wizard.",
    "Give step-by-step instructions for changing a flat bicycle tire.",
    "Describe the taste of a ripe mango to someone who has never eaten one.",
    "List the planets of the solar system in order from the sun.",
    "Write a product description for a waterproof hiking backpack.",
    "Explain how compound interest works with a simple example.",
    "Create a shopping list for a vegetarian lasagna.",
    "What is the purpose of a version control system like Git?",
    "Write a dialogue between a customer and a barista who got the order wrong.",
    "Explain what photosynthesis produces and why it matters for animals.",
    "Recommend three classic novels for someone who enjoyed The Great Gatsby.",
    "Write a C function that reverses a linked list in place.",
    "Describe a sunrise over the ocean using all five senses.",
    "Explain why regular sleep is important for memory.",
    "Give a short history of the printing press.",
    "Write a thank-you note to a neighbor who watered your plants.",
    "Explain the concept of supply and demand with an everyday example.",
    "Suggest a fun indoor activity for children on a rainy afternoon.",
    "Write a regular expression that matches a valid email address and explain each part.",
    "What should you pack for a three-day camping trip in the mountains?",
    "Rewrite this paragraph so that it is easier for beginners to read.",
    "Explain how vaccines train the immune system.",
    "Write a short story that begins with the sentence: The lighthouse had been dark for years.",
    "List four ways to reduce plastic waste at home.",
    "Explain the difference between a list and a tuple in Python.",
    "Describe the steps to make a cup of pour-over coffee.",
    "Write a motivational message for a student preparing for final exams.",
    "Explain why the moon has phases.",
    "Create a quiz with five multiple-choice questions about world geography.",
    "Write a function in Go that counts the words in a text file.",
    "Describe the job of an air traffic controller.",
    "Give advice to someone who is nervous about public speaking.",
    "Explain what inflation is and how it affects savings.",
    "Write a review of an imaginary science fiction movie.",
    "List the main differences between cats and dogs as pets.",
    "Explain how a bill becomes a law in a parliamentary system.",
    "Suggest a theme for a company's end-of-year party.",
    "Write a bash command that finds all files larger than 100 megabytes in a directory.",
    "Explain the greenhouse effect in plain language.",
    "Describe your ideal weekend in three sentences.",
    "Write a recipe for a simple tomato soup.",
    "Explain the difference between renewable and non-renewable energy.",
    "Create a to-do list for moving into a new apartment.",
    "Write a cover letter opening for a junior graphic designer position.",
    "Explain how a binary search works and give its time complexity.",
    "Describe the sound of a thunderstorm at night.",
    "Give five tips for learning a new language as an adult.",
    "Write a tweet announcing the opening of a new public library.",
    "Explain what causes ocean tides.",
    "Suggest three ways a small shop can attract more customers online.",
    "Write a Java method that returns the largest number in an array of integers.",
    "Explain why bread rises when it is baked.",
    "Write an apology message for missing a friend's birthday party.",
    "Describe how to plant a tree so that it grows well.",
    "Explain the meaning of the idiom 'break the ice'.",
    "List the pros and cons of electric cars.",
    "Write a bedtime story about a brave little turtle.",
    "Explain the role of the heart in the circulatory system.",
    "Generate a list of ten creative names for a pet goldfish.",
    "Explain what an API is to someone with no programming background.",
    "Write instructions for folding a paper airplane.",
    "Describe the architecture of a Gothic cathedral.",
    "Give a one-sentence summary of the story of Romeo and Juliet.",
    "Write a function that computes the factorial of a number recursively.",
    "Explain why it is important to back up your computer files.",
    "Suggest a balanced breakfast for someone training for a marathon.",
    "Describe a busy market in a city you imagine.",
    "Write an invitation for a neighborhood picnic in the park.",
    "Explain how earthquakes happen.",
    "List three famous paintings and the artists who painted them.",
    "Write a polite message declining a meeting invitation.",
    "Explain the difference between a simile and a metaphor with examples.",
    "Create a simple budget plan for a college student.",
    "Write a Rust function that sums the even numbers in a vector.",
    "Explain how a solar panel turns sunlight into electricity.",
    "Describe the feeling of finishing a long race.",
    "Give directions for making a paper crane, step by step.",
    "Explain the main idea of the theory of evolution.",
    "Write a short horror story in exactly five sentences.",
    "Suggest ways to stay focused while studying at home.",
    "Explain what a black hole is.",
    "Write a slogan for a campaign that encourages people to cycle to work.",
    "Describe how to care for a houseplant that needs little light.",
    "Explain why we have leap years.",
    "Write a letter to your future self to be opened in ten years.",
    "List five common mistakes new drivers make and how to avoid them.",
    "Explain the difference between HTTP and HTTPS.",
    "Write a song chorus about summer holidays with friends.",
    "Describe how honey is made by bees.",
    "Give feedback on the following essay introduction and suggest improvements.",
    "Explain how to calculate the area of a circle.",
    "Write a short biography of a fictional inventor.",
    "Suggest three board games for a family evening.",
    "Explain what machine learning is in two sentences.",
    "Write a packing checklist for a beach vacation.",
    "Describe the life cycle of a butterfly.",
    "Write a TypeScript interface for a user profile with name, email and age.",
    "Explain why recycling aluminum saves energy.",
    "Give advice for a first-time manager leading a small team.",
    "Write a news headline about a town that planted one million trees.",
    "Explain what a noun, a verb and an adjective are.",
    "Describe a calm lake early in the morning.",
    "Write a function that merges two sorted lists into one sorted list.",
    "Explain how the stock market works in simple terms.",
    "Suggest five questions to ask when adopting a dog from a shelter.",
    "Write a short fable with a lesson about patience.",
    "Explain why the ocean is salty.",
    "Create a morning routine for someone who wants to be more productive.",
    "Write a customer support reply to someone whose package arrived damaged.",
    "Explain the difference between a crocodile and an alligator.",
    "Describe the smell of a bakery in the early morning.",
    "Write a Python script that reads a CSV file and prints the average of one column.",
    "Explain how a rainbow forms after rain.",
    "Give tips for taking better photos with a phone camera.",
    "Write a short speech for the opening of a school science fair.",
    "Explain what democracy means.",
    "List four signs that a plant needs more water.",
    "Explain how a thermostat decides when to turn the heating on.",
    "Write a short welcome message for new members of a hiking club.",
    "Describe three ways to make a small bedroom feel larger.",
    "Explain the difference between an ocean and a sea.",
    "Write a Python class that represents a bank account with deposit and withdraw methods.",
    "List the ingredients needed for classic pancakes.",
    "Explain why leaves change color in autumn.",
    "Write a brief guide to writing a good commit message.",
    "Suggest a reading list of four books about the history of science.",
    "Explain how noise-cancelling headphones work.",
    "Write a four-line poem about a rainy Monday morning.",
    "Describe the duties of a museum curator.",
    "Explain what a carbon footprint is and how to reduce it.",
    "Write a dialogue in which two friends plan a surprise party.",
    "Give tips for keeping a conversation going on a first date.",
    "Explain how a credit score is calculated in general terms.",
    "Write a function that returns the nth prime number.",
    "Describe the view from the top of a tall mountain.",
    "Explain why some people are allergic to peanuts.",
    "Create a checklist for preparing a house for winter.",
    "Write a short persuasive paragraph about why cities need more parks.",
    "Explain the difference between a debit card and a credit card.",
    "Describe the rules of a game you invent that uses only a deck of cards.",
    "Write an out-of-office reply for a two-week vacation.",
    "Explain how airplanes stay in the air.",
    "List six kitchen tools every beginner cook should own.",
    "Write a function in C# that validates a password against simple rules.",
    "Explain what a recession is.",
    "Describe a traditional festival from any culture you choose.",
    "Give three arguments for and three against school uniforms.",
    "Write a short mystery riddle and give its answer.",
    "Explain the purpose of a unit test in software development.",
    "Suggest a weekly meal plan for a family of four on a tight budget.",
    "Explain how a compass finds north.",
    "Write the opening paragraph of a fantasy novel set in a floating city.",
    "Describe how to make a simple bird feeder from a plastic bottle.",
    "Explain why exercise improves mood.",
    "Write a message to a teacher asking for an extension on an assignment.",
    "List the steps of the scientific method.",
    "Explain the difference between a hurricane and a tornado.",
    "Write a Kotlin function that filters even numbers out of a list.",
    "Describe how to brew green tea properly.",
    "Explain what a mortgage is to a first-time home buyer.",
    "Write a toast for a best friend's wedding.",
    "Suggest five names for a podcast about urban gardening.",
    "Explain how glass is made.",
    "Describe the personality of a fictional detective in one paragraph.",
    "Write a short note explaining why a library book is being returned late.",
    "Explain what DNA is and what it does.",
    "Give five ideas for a science project using household items.",
    "Write an SQL statement that creates a table for storing book titles and authors.",
    "Explain why we see lightning before we hear thunder.",
    "Describe a walk through a forest in autumn.",
    "Write a function that converts a Roman numeral to an integer.",
    "Explain what happens to the body during a fever.",
    "Suggest ways for a remote team to feel more connected.",
    "Write a short apology from a restaurant to a guest who waited too long.",
    "Explain how maps represent height with contour lines.",
    "List five countries in South America and their capitals.",
    "Write a product name and tagline for a reusable coffee cup.",
    "Explain the difference between speed and velocity.",
    "Describe the first day at a new school from a child's point of view.",
    "Write a function that flattens a nested list of any depth.",
    "Explain why cities are often warmer than the countryside.",
    "Give advice for keeping houseplants alive during a vacation.",
    "Write a short announcement that a café will close early for a holiday.",
    "Explain how a loan's interest rate affects the total amount paid.",
    "Describe the steps for writing a research paper.",
    "Write a riddle whose answer is the word shadow.",
    "Explain what an ecosystem is with an example from a pond.",
    "Explain the difference between a virus and a computer worm.",
    "Write a short message inviting coworkers to a charity bake sale.",
    "Describe how to set up a fish tank for tropical fish.",
    "Explain how a microwave oven heats food.",
    "Write a function that checks whether two strings are anagrams.",
    "Give tips for writing a clear and friendly complaint letter.",
    "Explain why some metals rust and others do not.",
    "Describe what a typical day looks like for a lighthouse keeper.",
]

# Light rewrites of some of the instructions above: {base instruction: rewrites}.
EN_VARIANTS = {
    'Give three tips for keeping a small vegetable garden healthy through a dry summer.':
        ["Give three tips for keeping a small vegetable garden healthy through a hot dry summer.",
        "Give three tips for keeping a vegetable garden healthy in a dry summer.",
        "Share three tips for keeping a small vegetable garden healthy during a dry summer.",
        "Give me three ideas for keeping a little vegetable garden alive through a dry summer."],
    'Explain the difference between a virus and a bacterium to a ten-year-old.':
        ["Explain the difference between a virus and a bacterium to a ten year old child.",
        "Explain to a ten-year-old the difference between a bacterium and a virus.",
        "Explain the difference between viruses and bacteria to a young child."],
    'Write a Python function that checks whether a string is a palindrome.':
        ["Write a Python function that checks whether a string is a palindrome or not.",
        "Write a Python function to check if a string is a palindrome.",
        "Write a function in Python that checks whether a given word is a palindrome.",
        "Write a JavaScript function that checks whether a string is a palindrome."],
    'Rewrite the following sentence in the passive voice: The committee approved the new budget.':
        ["Rewrite the following sentence in the passive voice: The board approved the new budget.",
        "Rewrite this sentence in passive voice: The committee approved the new budget.",
        "Put the following sentence into the passive voice: The committee approved the budget."],
    'Explain what a hash table is and when you would use one.':
        ["Explain what a hash table is and when you should use one.",
         "Explain what a hash map is and when you would use it.",
         "Describe what a hash table is and give a situation where you would use one."],
    'Write a SQL query that returns the ten customers with the highest total order value.':
        ["Write a SQL query that returns the ten customers with the highest total order values.",
         "Write a SQL query that returns the five customers with the highest total order value.",
         "Write an SQL query to list the top ten customers by total order value."],
    'Explain why the sky looks red at sunset.':
        ["Explain why the sky looks red at sunset and orange at sunrise.",
         "Explain why the sky turns red at sunset.",
         "Why does the sky look red at sunset? Explain."],
    'Write a JavaScript function that removes duplicate values from an array.':
        ["Write a JavaScript function that removes duplicate values from an array of numbers.",
         "Write a JavaScript function that removes the duplicate values from an array.",
         "Write a Python function that removes duplicate values from a list."],
    'Give step-by-step instructions for changing a flat bicycle tire.':
        ["Give step-by-step instructions for changing a flat tire on a bicycle.",
         "Give step by step instructions for fixing a flat bicycle tire.",
         "Explain step by step how to change a flat bike tire."],
    'Explain how compound interest works with a simple example.':
        ["Explain how compound interest works with a simple numerical example.",
         "Explain how compound interest works, using a simple example.",
         "Explain simple interest and compound interest with an example."],
    'Write a C function that reverses a linked list in place.':
        ["Write a C function that reverses a singly linked list in place.",
         "Write a C function that reverses a linked list.",
         "Write a C++ function that reverses a linked list in place."],
    'Write a regular expression that matches a valid email address and explain each part.':
        ["Write a regular expression that matches a valid email address and explain each of its parts.",
         "Write a regex that matches a valid email address and explain each part.",
         "Write a regular expression that matches a phone number and explain each part."],
    'Explain the difference between a list and a tuple in Python.':
        ["Explain the difference between a list and a tuple in Python with examples.",
         "Explain the difference between lists and tuples in Python.",
         "Explain the difference between a list and a dictionary in Python."],
    'Write a function in Go that counts the words in a text file.':
        ["Write a function in Go that counts the words in a text file and prints the total.",
         "Write a Go function that counts the words in a text file.",
         "Write a function in Go that counts the lines in a text file."],
    'Write a bash command that finds all files larger than 100 megabytes in a directory.':
        ["Write a bash command that finds all files larger than 500 megabytes in a directory.",
         "Write a bash command to find all files bigger than 100 megabytes in a folder.",
         "Write a shell command that lists all files larger than 100 MB in the current directory."],
    'Explain how a binary search works and give its time complexity.':
        ["Explain how a binary search works and give its time and space complexity.",
         "Explain how binary search works and what its time complexity is.",
         "Explain how a linear search works and give its time complexity."],
    'Write a Java method that returns the largest number in an array of integers.':
        ["Write a Java method that returns the largest number in an array of doubles.",
         "Write a Java method that returns the smallest number in an array of integers.",
         "Write a Java method to find the largest number in an integer array."],
    'Explain why it is important to back up your computer files.':
        ["Write a function that computes the factorial of a number using recursion.",
        "Write a recursive function that computes the factorial of a number.",
        "Write a function that computes the factorial of a number iteratively."],
    'Explain how a solar panel turns sunlight into electricity.':
        ["Write a Rust function that sums the odd numbers in a vector.",
          "Write a Rust function that returns the sum of the even numbers in a vector.",
          "Write a Rust function that sums the even numbers in a slice of integers."],
    'Suggest five questions to ask when adopting a dog from a shelter.':
        ["Write a function that merges two sorted arrays into one sorted array.",
          "Write a function that merges two sorted lists into a single sorted list.",
          "Write a Python function that merges two sorted lists into one sorted list without using sort."],
    'Explain how a thermostat decides when to turn the heating on.':
        ["Explain how a thermostat decides when to switch the heating on.",
          "Explain how a thermostat decides when to turn the air conditioning on."],
    'Write a Python class that represents a bank account with deposit and withdraw methods.':
        ["Write a Python class that represents a bank account with deposit, withdraw and balance methods.",
          "Write a Python class representing a bank account with deposit and withdraw methods.",
          "Write a Java class that represents a bank account with deposit and withdraw methods."],
    'Write a function that returns the nth prime number.':
        ["Write a function that returns the nth Fibonacci number.",
          "Write a function that returns the nth prime number using a sieve."],
    'Explain the difference between a debit card and a credit card.':
        ["Explain the difference between a debit card and a credit card for a teenager.",
          "Explain the difference between a credit card and a debit card."],
    'Write an out-of-office reply for a two-week vacation.':
        ["Write an out-of-office reply for a one-week vacation.",
          "Write an out of office reply for a two week holiday."],
    'Explain how airplanes stay in the air.':
        ["Explain how airplanes stay up in the air.", "Explain how helicopters stay in the air."],
    'Explain how a compass finds north.':
        ["Explain how a compass finds the north.", "Explain how a compass works and how it finds north."],
    'List the steps of the scientific method.':
        ["List the steps of the scientific method with an example.", "List the five steps of the scientific method."],
    'Write a Kotlin function that filters even numbers out of a list.':
        ["Write a Kotlin function that filters the even numbers out of a list.",
          "Write a Kotlin function that filters odd numbers out of a list."],
    'Write a function that converts a Roman numeral to an integer.':
        ["Write a function that converts a Roman numeral into an integer.",
          "Write a function that converts an integer to a Roman numeral."],
    'Write a function that flattens a nested list of any depth.':
        ["Write a function that flattens a nested list of arbitrary depth.",
          "Write a Python function that flattens a nested list of any depth.",
          "Write a function that flattens a list of lists one level deep."],
    'Write a riddle whose answer is the word shadow.':
        ["Write a riddle whose answer is the word echo."],
    'Write a short poem about the first snowfall of the year in a quiet town.':
        ["Write a short poem about the first snowfall of the year in a small quiet town.",
        "Write a short poem about the last snowfall of the year in a quiet village."],
    'Write an email to a landlord asking for a broken heater to be repaired.':
        ["Write an email to a landlord asking for a broken heater to be fixed.",
         "Write an email to my landlord asking him to repair the broken heater.",
         "Write an email to a landlord asking for a leaking sink to be repaired."],
    'Write a haiku about a cat sleeping in the sun.':
        ["Write a haiku about a dog sleeping in the sun.", "Write a haiku about a cat sleeping in the warm sun."],
    'List the planets of the solar system in order from the sun.':
        ["List the planets of the solar system in order from the sun outward.",
         "List the planets of the solar system from the largest to the smallest."],
    'Explain why the moon has phases.':
        ["Explain why the moon has phases and how long a full cycle takes.", "Explain why the moon appears to change shape."],
    'Write a bedtime story about a brave little turtle.':
        ["Write a bedtime story about a brave little rabbit.", "Write a bedtime story about a shy little turtle who makes a friend."],
    'Give advice for a first-time manager leading a small team.':
        ["Write a TypeScript interface for a user profile with name, email, age and address.",
          "Write a TypeScript type for a user profile with name, email and age."],
    'Explain how a rainbow forms after rain.':
        ["Write a Python script that reads a CSV file and prints the average of one numeric column.",
          "Write a Python script that reads a CSV file and prints the sum of one column.",
          "Write a script in Python that reads a CSV file and prints the average value of a column."],
}

# Toolformer-style: a long fixed preamble per tool, then the actual request on the last line.
EN_TOOLS = {
    "calendar": (
        "assistant mode: tools\n"
        "tools available: calendar\n"
        "The calendar tool reads and changes events in the user's personal calendar. Use it when the "
        "request is about meetings, appointments, reminders or free time. Input should be a short "
        "description of the event or the time range to look at.\n"
        "calendar(request)\n"
    ),
    "weather": (
        "assistant mode: tools\n"
        "tools available: weather\n"
        "The weather tool returns the current conditions and the forecast for a place. Use it when the "
        "request is about temperature, rain, wind or what to wear outside. Input should be the name of a "
        "city or region.\n"
        "weather(place)\n"
    ),
    "calculator": (
        "assistant mode: tools\n"
        "tools available: calculator\n"
        "The calculator tool evaluates arithmetic expressions exactly. Use it when the request needs a "
        "number to be computed, such as a sum, a percentage or a unit conversion. Input should be a "
        "valid arithmetic expression.\n"
        "calculator(expression)\n"
    ),
    "encyclopedia": (
        "assistant mode: tools\n"
        "tools available: encyclopedia\n"
        "The encyclopedia tool returns a short article about a person, place, event or idea. Use it when "
        "the request asks for background facts that do not change often. Input should be the name of "
        "the topic.\n"
        "encyclopedia(topic)\n"
    ),
    "translator": (
        "assistant mode: tools\n"
        "tools available: translator\n"
        "The translator tool translates a piece of text between two languages and keeps names and "
        "numbers unchanged. Use it when the request asks what something means in another language. "
        "Input should be the text followed by the target language.\n"
        "translator(text, language)\n"
    ),
    "files": (
        "assistant mode: tools\n"
        "tools available: files\n"
        "The files tool lists, reads and searches the documents in the user's workspace. Use it when the "
        "request mentions a file, a folder or the contents of a document. Input should be a path or a "
        "search phrase.\n"
        "files(query)\n"
    ),
}
EN_TOOL_TASKS = {
    "translator":
        ["Translate 'good morning, how did you sleep?' into Portuguese",
                   "How do you say 'the museum is closed on Mondays' in German?",
                   "Translate the menu item 'grilled salmon with lemon butter' into French",
                   "What does 'mañana por la tarde' mean in English?",
                   "Translate 'please keep the door closed' into Japanese",
                   "Put 'thank you for your patience' into Italian",
                   "Translate the sign 'no parking after 8 pm' into Korean",
                   "What is 'see you next week' in Dutch?"],
    "calendar":
        ["Move my dentist appointment from Tuesday to Thursday afternoon",
                 "What meetings do I have next Monday morning?",
                 "Add a reminder to call my sister on Sunday at six",
                 "Find a free hour for a team lunch this week",
                 "Cancel the project review on Friday",
                 "How many meetings did I have in March?",
                 "Schedule a weekly yoga class on Wednesday evenings",
                 "Is there anything on my calendar for the holiday weekend?"],
    "weather":
        ["Will it rain in Lisbon tomorrow?",
                "What is the temperature in Oslo right now?",
                "Should I bring a jacket to the concert in Chicago tonight?",
                "How windy will it be on the coast of Brittany this weekend?",
                "Give me the five-day forecast for Nairobi",
                "Is it sunny in Melbourne today?",
                "Will there be snow in Denver on Saturday?",
                "What is the humidity in Singapore this afternoon?"],
    "calculator":
        ["What is 17 percent of 2,340?",
                   "Convert 5 miles to kilometers",
                   "Compute the total of 48.50, 12.75 and 103.20",
                   "How much is 3 to the power of 12?",
                   "Split a bill of 186 dollars among 7 people",
                   "What is the square root of 1,764?",
                   "How many seconds are there in three weeks?",
                   "Calculate the monthly payment on a 12,000 loan over 4 years at 5 percent interest"],
    "encyclopedia":
        ["Who was Ada Lovelace?",
                     "Give me background on the Silk Road",
                     "What is the history of the Eiffel Tower?",
                     "Tell me about the Great Barrier Reef",
                     "Who invented the telephone?",
                     "Summarize the life of Marie Curie",
                     "What was the Hanseatic League?",
                     "Explain the origins of the Olympic Games"],
    "files":
        ["Find the budget spreadsheet from last quarter",
              "List the documents in the contracts folder",
              "Search my notes for the word onboarding",
              "Open the meeting minutes from January",
              "Which files mention the new office address?",
              "Show the most recently edited report",
              "Find every draft of the grant proposal",
              "Read the first page of the project plan"],
}

# Reading questions that share a long passage (another kind of long common preamble).
EN_PASSAGES = [
    ("Read the passage and answer the question.\n"
     "Passage: The town of Millbrook built its first public library in 1894 with money raised by a "
     "group of factory workers. For decades the library opened only in the evenings, so that people "
     "could visit after their shifts. In 1962 a fire destroyed the upper floor, and the collection was "
     "moved to the old railway station until a new building opened in 1968.\n"
     "Question: ",
     ["Who paid for the first library?", "Why did the library open only in the evenings?",
      "What happened in 1962?", "Where was the collection kept after the fire?",
      "When did the new building open?", "How many years passed between the fire and the new building?",
      "What kind of workers raised the money?", "Give the passage a title."]),
    ("Read the passage and answer the question.\n"
     "Passage: Sea otters spend almost their whole lives in the water. They keep warm not with fat but "
     "with extremely dense fur, which traps a layer of air against the skin. Otters eat sea urchins, "
     "crabs and clams, and they often use stones to crack the shells open while floating on their "
     "backs. By eating sea urchins they protect kelp forests, which urchins would otherwise destroy.\n"
     "Question: ",
     ["How do sea otters keep warm?", "What do sea otters eat?", "Why do otters use stones?",
      "How do otters help kelp forests?", "Where do sea otters spend most of their lives?",
      "What would happen to kelp forests without otters?", "Describe how an otter opens a clam.",
      "Summarize the passage in one sentence."]),
]

KO_BASE = [
    "다음 문장을 영어로 번역하세요.",
    "건강한 아침 식사 메뉴를 세 가지 추천해 주세요.",
    "파이썬으로 리스트에서 중복된 값을 제거하는 함수를 작성하세요.",
    "여름철 식중독을 예방하는 방법을 알려 주세요.",
    "이 글의 주제를 한 문장으로 요약하세요.",
    "초등학생에게 광합성을 쉽게 설명해 주세요.",
    "회사 동료에게 보낼 감사 편지를 써 주세요.",
    "서울에서 당일치기로 다녀올 만한 여행지를 추천해 주세요.",
    "주어진 숫자 목록을 오름차순으로 정렬하세요.",
    "면접에서 자주 나오는 질문 다섯 가지와 답변 요령을 알려 주세요.",
    "봄을 주제로 짧은 시를 지어 주세요.",
    "스트레스를 줄이는 생활 습관을 소개해 주세요.",
    "고객에게 배송 지연을 사과하는 이메일을 작성하세요.",
    "다음 문장에서 맞춤법이 틀린 부분을 고쳐 주세요.",
    "김치찌개를 맛있게 끓이는 방법을 단계별로 설명해 주세요.",
    "지구 온난화의 원인과 해결 방법을 설명하세요.",
    "자바스크립트에서 배열의 합을 구하는 코드를 작성하세요.",
    "처음 운동을 시작하는 사람을 위한 일주일 운동 계획을 세워 주세요.",
    "좋은 수면 습관을 만드는 방법을 다섯 가지 알려 주세요.",
    "다음 영화 리뷰가 긍정적인지 부정적인지 분류하세요.",
    "조선 시대의 과거 제도에 대해 간단히 설명해 주세요.",
    "팀 회의를 효율적으로 진행하는 방법을 알려 주세요.",
    "친구의 생일을 축하하는 메시지를 써 주세요.",
    "환율이 오르면 수입 물가가 어떻게 변하는지 설명하세요.",
    "새로 연 카페의 홍보 문구를 만들어 주세요.",
    "SQL로 부서별 평균 급여를 구하는 쿼리를 작성하세요.",
    "아이와 함께 할 수 있는 실내 놀이를 추천해 주세요.",
    "다음 단락을 중학생도 이해할 수 있게 쉽게 바꿔 쓰세요.",
    "반려견을 처음 키우는 사람에게 필요한 준비물을 알려 주세요.",
    "한국의 전통 명절인 추석에 대해 외국인에게 소개해 주세요.",
    "태양계 행성을 태양에서 가까운 순서대로 나열하세요.",
    "효과적인 시간 관리 방법을 세 가지 제시하세요.",
    "다음 문장의 띄어쓰기를 바르게 고쳐 주세요.",
    "분리수거를 올바르게 하는 방법을 설명해 주세요.",
    "블록체인이 무엇인지 비전공자에게 설명해 주세요.",
    "비 오는 날의 풍경을 묘사하는 짧은 글을 써 주세요.",
    "중고 거래를 할 때 사기를 피하는 방법을 알려 주세요.",
    "자기소개서의 첫 문단을 작성해 주세요.",
    "다음 두 문장의 의미 차이를 설명하세요.",
    "지하철에서 지켜야 할 예절을 정리해 주세요.",
    "재귀 함수를 이용해 피보나치 수열을 계산하는 코드를 작성하세요.",
    "가을에 가기 좋은 국내 산을 세 곳 추천해 주세요.",
    "물이 끓는 온도가 높은 산에서 낮아지는 이유를 설명하세요.",
    "외국인 친구에게 한국어 존댓말을 설명해 주세요.",
    "집에서 쉽게 만들 수 있는 간식 요리법을 알려 주세요.",
    "회의록을 간단하게 정리하는 양식을 만들어 주세요.",
    "다음 문장을 더 정중한 표현으로 바꿔 주세요.",
    "전기차의 장점과 단점을 비교해 주세요.",
    "어린이를 위한 공룡 이야기를 짧게 지어 주세요.",
    "주식과 채권의 차이를 설명하세요.",
    "노트북 배터리를 오래 쓰는 방법을 알려 주세요.",
    "다음 글에서 핵심 단어 다섯 개를 뽑아 주세요.",
    "봉사 활동 모집 공고문을 작성해 주세요.",
    "세종대왕이 한글을 만든 이유를 설명하세요.",
    "감기에 걸렸을 때 도움이 되는 음식을 추천해 주세요.",
    "파이썬에서 딕셔너리를 값 기준으로 정렬하는 방법을 알려 주세요.",
    "혼자 여행할 때 주의해야 할 점을 알려 주세요.",
    "다음 상품 설명을 더 매력적으로 고쳐 써 주세요.",
    "미세먼지가 심한 날 건강을 지키는 방법을 알려 주세요.",
    "우주 정거장에서의 하루를 상상해서 일기로 써 주세요.",
    "은행 예금과 적금의 차이를 설명해 주세요.",
    "이사할 때 해야 할 일을 순서대로 정리해 주세요.",
    "다음 문장에 어울리는 제목을 세 개 지어 주세요.",
    "퇴근 후에 할 수 있는 취미를 추천해 주세요.",
    "인공지능이 일자리에 미치는 영향을 논하세요.",
    "커피를 맛있게 내리는 방법을 알려 주세요.",
    "다음 대화에서 화자의 감정을 분석하세요.",
    "학생들에게 독서의 중요성을 설명하는 연설문을 써 주세요.",
    "공원에서 열리는 벼룩시장 안내문을 작성해 주세요.",
    "자전거를 안전하게 타는 방법을 알려 주세요.",
    "다음 수학 문제를 풀고 풀이 과정을 설명하세요: 3x + 5 = 20",
    "바다가 파란색으로 보이는 이유를 설명해 주세요.",
    "신입 사원에게 주는 조언을 다섯 가지 써 주세요.",
    "한국의 사계절을 각각 한 문장으로 표현해 주세요.",
    "온라인 수업에 집중하는 방법을 알려 주세요.",
    "다음 이메일에 대한 정중한 답장을 작성하세요.",
    "제주도 여행 이틀 일정을 짜 주세요.",
    "식물을 실내에서 잘 키우는 방법을 알려 주세요.",
    "HTML과 CSS의 차이를 설명하세요.",
    "고양이가 가르랑거리는 이유를 알려 주세요.",
    "다음 문장을 반말로 바꿔 주세요.",
    "저축 습관을 기르는 방법을 알려 주세요.",
    "지진이 발생했을 때 대피 요령을 설명해 주세요.",
    "좋아하는 계절과 그 이유를 글로 써 주세요.",
    "리눅스에서 파일 권한을 바꾸는 명령어를 알려 주세요.",
    "다음 속담의 뜻을 설명하세요: 가는 말이 고와야 오는 말이 곱다.",
    "하루 물 섭취량을 늘리는 방법을 알려 주세요.",
    "동네 도서관의 새 프로그램을 소개하는 글을 써 주세요.",
    "단백질이 많은 채식 요리를 추천해 주세요.",
    "다음 표의 내용을 문장으로 요약하세요.",
    "비행기 공포증을 극복하는 방법을 알려 주세요.",
    "한강 공원에서 즐길 수 있는 활동을 소개해 주세요.",
    "자바에서 문자열을 뒤집는 메서드를 작성하세요.",
    "처음 만난 사람과 대화를 시작하는 방법을 알려 주세요.",
    "다음 기사 제목을 더 흥미롭게 바꿔 주세요.",
    "손 씻기가 중요한 이유를 어린이에게 설명해 주세요.",
    "겨울철 난방비를 아끼는 방법을 알려 주세요.",
    "다음 문장을 과거 시제로 바꿔 쓰세요.",
    "중학생을 위한 진로 탐색 활동을 추천해 주세요.",
    "달의 모양이 바뀌는 이유를 설명하세요.",
    "다음 목록에서 과일과 채소를 구분하세요: 사과, 당근, 포도, 오이, 배.",
    "좋은 발표 자료를 만드는 요령을 알려 주세요.",
    "빵이 부풀어 오르는 원리를 설명해 주세요.",
    "환경 보호를 위한 캠페인 구호를 만들어 주세요.",
    "다음 글의 논리적 오류를 찾아 설명하세요.",
    "주말에 가족과 함께 볼 만한 영화를 추천해 주세요.",
    "다음 문장을 능동태로 바꿔 주세요.",
    "부모님께 드릴 안부 문자를 써 주세요.",
    "도시와 시골 생활의 장단점을 비교하세요.",
    "마라톤을 처음 준비하는 사람에게 조언해 주세요.",
    "파이썬으로 두 수의 최대공약수를 구하는 함수를 작성하세요.",
    "택배 분실 문의 글을 정중하게 작성해 주세요.",
    "우리 동네 맛집을 소개하는 블로그 글을 써 주세요.",
    "산불을 예방하기 위해 지켜야 할 수칙을 알려 주세요.",
    "독감 예방 주사를 맞아야 하는 이유를 설명하세요.",
    "다음 문단에서 주장과 근거를 구분하세요.",
    "엑셀에서 중복 데이터를 찾는 방법을 알려 주세요.",
    "어린 시절의 추억을 주제로 수필을 써 주세요.",
    "장마철 집안 습기를 줄이는 방법을 알려 주세요.",
    "좋은 리더의 조건을 세 가지 설명하세요.",
    "다음 문장을 어린이가 읽기 쉽게 바꿔 주세요.",
    "영어 단어를 효과적으로 외우는 방법을 알려 주세요.",
    "시장 조사 보고서의 목차를 만들어 주세요.",
    "운동 전후에 하면 좋은 스트레칭을 알려 주세요.",
    "한옥의 특징을 간단히 설명해 주세요.",
    "다음 시의 분위기를 한 단어로 표현하고 이유를 설명하세요.",
]

KO_VARIANTS = {
    '다음 문장을 영어로 번역하세요.':
        ["다음 문장은 영어로 번역하세요.", "다음 문장을 영어로 번역해 주세요.", "다음 문장을 영어로 옮겨 주세요.",
        "아래 문장을 영어로 번역하세요."],
    '건강한 아침 식사 메뉴를 세 가지 추천해 주세요.':
        ["건강한 아침 식사 메뉴를 세 가지 추천해줘.", "건강한 아침 메뉴를 세 가지 추천해 주세요.",
        "아침 식사로 좋은 건강한 메뉴 세 가지를 추천해 주세요."],
    '파이썬으로 리스트에서 중복된 값을 제거하는 함수를 작성하세요.':
        ["파이썬으로 리스트에서 중복된 값을 없애는 함수를 작성하세요.", "파이썬으로 리스트의 중복 값을 제거하는 함수를 만들어 주세요.",
        "자바스크립트로 배열에서 중복된 값을 제거하는 함수를 작성하세요."],
    '여름철 식중독을 예방하는 방법을 알려 주세요.':
        ["여름철 식중독을 예방하는 방법을 알려줘.", "여름에 식중독을 예방하는 방법을 알려 주세요.",
        "여름철 식중독 예방 방법을 알려 주세요."],
    '이 글의 주제를 한 문장으로 요약하세요.':
        ["이 글의 주제를 한 문장으로 요약해 주세요.", "이 글의 주제는 한 문장으로 요약하세요.", "이 글의 내용을 세 문장으로 요약하세요."],
    '초등학생에게 광합성을 쉽게 설명해 주세요.':
        ["초등학생에게 광합성을 쉽게 설명해줘.", "초등학생도 이해하도록 광합성을 쉽게 설명해 주세요.",
        "중학생에게 광합성을 자세히 설명해 주세요."],
    '주어진 숫자 목록을 오름차순으로 정렬하세요.':
        ["주어진 숫자 목록을 내림차순으로 정렬하세요.", "주어진 숫자 목록은 오름차순으로 정렬하세요.",
        "주어진 숫자들을 오름차순으로 정렬해 주세요."],
    '고객에게 배송 지연을 사과하는 이메일을 작성하세요.':
        ["고객에게 배송 지연을 사과하는 이메일을 써 주세요.", "고객께 배송 지연을 사과하는 메일을 작성하세요.",
         "고객에게 주문 취소를 안내하는 이메일을 작성하세요."],
    '김치찌개를 맛있게 끓이는 방법을 단계별로 설명해 주세요.':
        ["김치찌개를 맛있게 끓이는 방법을 단계별로 알려 주세요.", "김치찌개를 맛있게 끓이는 법을 단계별로 설명해줘.",
         "된장찌개를 맛있게 끓이는 방법을 단계별로 설명해 주세요."],
    '지구 온난화의 원인과 해결 방법을 설명하세요.':
        ["지구 온난화의 원인과 해결 방안을 설명하세요.", "지구온난화의 원인과 해결 방법을 설명해 주세요.",
         "지구 온난화의 원인을 설명하세요."],
    '좋은 수면 습관을 만드는 방법을 다섯 가지 알려 주세요.':
        ["좋은 수면 습관을 만드는 방법을 세 가지 알려 주세요.", "좋은 수면 습관을 기르는 방법 다섯 가지를 알려 주세요."],
    'SQL로 부서별 평균 급여를 구하는 쿼리를 작성하세요.':
        ["SQL로 부서별 최고 급여를 구하는 쿼리를 작성하세요.", "SQL을 사용해 부서별 평균 급여를 구하는 쿼리를 작성해 주세요."],
    '효과적인 시간 관리 방법을 세 가지 제시하세요.':
        ["효과적인 시간 관리 방법을 다섯 가지 제시하세요.", "효과적으로 시간을 관리하는 방법을 세 가지 제시하세요."],
    '재귀 함수를 이용해 피보나치 수열을 계산하는 코드를 작성하세요.':
        ["재귀 함수를 사용해 피보나치 수열을 계산하는 코드를 작성하세요.", "반복문을 이용해 피보나치 수열을 계산하는 코드를 작성하세요."],
    '전기차의 장점과 단점을 비교해 주세요.':
        ["전기차의 장점과 단점을 비교해줘.", "전기 자동차의 장점과 단점을 비교해 주세요.", "전기차와 휘발유차의 장단점을 비교해 주세요."],
    '파이썬에서 딕셔너리를 값 기준으로 정렬하는 방법을 알려 주세요.':
        ["파이썬에서 딕셔너리를 키 기준으로 정렬하는 방법을 알려 주세요.", "파이썬 딕셔너리를 값 기준으로 정렬하는 법을 알려줘."],
    '이사할 때 해야 할 일을 순서대로 정리해 주세요.':
        ["이사할 때 해야 할 일을 순서대로 정리해줘.", "이사 준비할 때 해야 할 일을 순서대로 정리해 주세요."],
    '제주도 여행 이틀 일정을 짜 주세요.':
        ["제주도 여행 삼일 일정을 짜 주세요.", "제주도 이틀 여행 일정을 짜 주세요.", "부산 여행 이틀 일정을 짜 주세요."],
    '자바에서 문자열을 뒤집는 메서드를 작성하세요.':
        ["자바에서 문자열을 뒤집는 함수를 작성하세요.", "파이썬에서 문자열을 뒤집는 함수를 작성하세요."],
    '다음 문장을 과거 시제로 바꿔 쓰세요.':
        ["다음 문장을 미래 시제로 바꿔 쓰세요.", "다음 문장을 과거형으로 바꿔 주세요."],
    '부모님께 드릴 안부 문자를 써 주세요.':
        ["부모님께 드릴 안부 문자를 써줘.", "부모님께 보낼 안부 메시지를 써 주세요."],
    '마라톤을 처음 준비하는 사람에게 조언해 주세요.':
        ["마라톤을 처음 준비하는 사람에게 조언을 해 주세요.", "하프 마라톤을 처음 준비하는 사람에게 조언해 주세요."],
    '파이썬으로 두 수의 최대공약수를 구하는 함수를 작성하세요.':
        ["파이썬으로 두 수의 최소공배수를 구하는 함수를 작성하세요.", "파이썬으로 두 정수의 최대공약수를 구하는 함수를 만들어 주세요."],
    '엑셀에서 중복 데이터를 찾는 방법을 알려 주세요.':
        ["엑셀에서 중복된 데이터를 찾는 방법을 알려줘.", "엑셀에서 중복 데이터를 삭제하는 방법을 알려 주세요."],
    '장마철 집안 습기를 줄이는 방법을 알려 주세요.':
        ["장마철에 집안 습기를 줄이는 방법을 알려 주세요.", "장마철 집 안의 습기를 줄이는 방법 알려줘."],
    '영어 단어를 효과적으로 외우는 방법을 알려 주세요.':
        ["영어 단어를 효과적으로 암기하는 방법을 알려 주세요.", "일본어 단어를 효과적으로 외우는 방법을 알려 주세요."],
}

KO_TOOL = (
    "도구 사용: 켜짐\n"
    "사용 가능한 도구: 날씨\n"
    "날씨 도구는 지역의 현재 기온과 강수 확률, 주간 예보를 알려 줍니다. 옷차림이나 외출 계획처럼 "
    "날씨와 관련된 요청일 때 사용하세요. 입력은 도시나 지역 이름이어야 합니다.\n"
    "날씨(지역)\n"
)
KO_TOOL_TASKS = ["내일 부산에 비가 오나요?", "지금 서울 기온이 몇 도인가요?", "이번 주말 강릉 날씨를 알려 주세요.",
                 "오늘 저녁 인천에 우산이 필요할까요?", "다음 주 제주도 예보를 알려 주세요.",
                 "대구는 오늘 얼마나 덥나요?", "토요일 광주에 눈이 올까요?", "지금 춘천의 습도를 알려 주세요."]


def english() -> list[str]:
    out = list(EN_BASE)
    for base, rewrites in EN_VARIANTS.items():
        assert base in EN_BASE, base
        out.extend(rewrites)
    for tool, preamble in EN_TOOLS.items():
        for task in EN_TOOL_TASKS[tool]:
            out.append(preamble + task)
    for preamble, questions in EN_PASSAGES:
        out.extend(preamble + q for q in questions)
    # Near-identical requests under different tools: the long preambles decide.
    out.append(EN_TOOLS["weather"] + "Will it rain in Lisbon on Tuesday?")
    out.append(EN_TOOLS["calculator"] + "What is 18 percent of 2,340?")
    out.append(EN_TOOLS["files"] + "Find the budget spreadsheet from the last quarter")
    return out


def korean() -> list[str]:
    out = list(KO_BASE)
    for base, rewrites in KO_VARIANTS.items():
        assert base in KO_BASE, base
        out.extend(rewrites)
    for task in KO_TOOL_TASKS:
        out.append(KO_TOOL + task)
    out.append(KO_TOOL + "내일 부산에 비가 올까요?")
    return out


def shuffled(texts: list[str], seed: int) -> list[str]:
    """A fixed shuffle, so that near duplicates arrive in mixed order, as from a generator."""
    texts = list(dict.fromkeys(texts))
    random.Random(seed).shuffle(texts)
    return texts


def write(path: Path, texts: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for text in texts:
            f.write(json.dumps({"instruction": text}, ensure_ascii=False) + "\n")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    en = shuffled(english(), 1)
    ko = shuffled(korean(), 2)
    write(OUT / "en_instructions_sample.jsonl", en)
    write(OUT / "ko_instructions_sample.jsonl", ko)
    print(f"{len(en)} English and {len(ko)} Korean instructions written to {OUT}")


if __name__ == "__main__":
    main()
