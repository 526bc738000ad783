/**
 * The bundled document set the research agent searches: twelve short household notes. Each
 * has `keywords` drawn from what the built-in tiny embedding model knows (about forty words:
 * animals, colours, weather, food), because that model only tells apart words in its
 * vocabulary: it reads a document as its title plus keywords. A real embedding model would
 * read the whole text; the retrieval code does not change.
 */
export interface LibraryDocument {
  id: string;
  title: string;
  keywords: string;
  text: string;
}

export const DOCUMENTS: readonly LibraryDocument[] = [
  {
    id: 'indoor-cat',
    title: 'Keeping an indoor cat content',
    keywords: 'cat cats',
    text:
      'Indoor cats need a daily routine of short play sessions, ideally two or three of ten minutes each. ' +
      'A scratching post near where the cat sleeps saves the furniture, and a shelf by a window gives it something to watch. ' +
      'Feed measured meals rather than leaving a full bowl out: indoor cats gain weight easily.',
  },
  {
    id: 'dog-storm',
    title: 'Helping a dog through a thunderstorm',
    keywords: 'dog storm rain wind',
    text:
      'Many dogs fear thunder. Give yours a den before the storm arrives: a crate or a corner covered with a blanket, away from windows. ' +
      'Stay calm and close by, play background noise to mask the thunder, and do not punish fearful behaviour. ' +
      'Walk the dog before the weather turns so it is not forced outside in the rain.',
  },
  {
    id: 'horse-winter',
    title: 'Horses in snow and cold wind',
    keywords: 'horse snow wind',
    text:
      'Most horses cope well with cold if they have shelter from the wind and plenty of hay: digesting fibre keeps them warm. ' +
      'Check that water troughs are not frozen twice a day, since horses drink less when water is icy. ' +
      'Pick snow out of the hooves, where it packs into balls that make walking unsafe.',
  },
  {
    id: 'garden-birds',
    title: 'Feeding garden birds well',
    keywords: 'bird birds apple',
    text:
      'Sunflower hearts, suet and soft fruit such as halved apples suit most garden birds. ' +
      'Bread fills birds up without giving them the fat and protein they need, so offer it rarely if at all. ' +
      'Clean feeders every two weeks and keep a shallow dish of fresh water out, even in winter.',
  },
  {
    id: 'first-aquarium',
    title: 'Starting a first aquarium',
    keywords: 'fish blue green',
    text:
      'Cycle a new tank for four to six weeks before adding fish, so that bacteria can grow to break down waste. ' +
      'Start with a few hardy fish and add more slowly. ' +
      'Change a quarter of the water every week and never clean the filter sponge under tap water, which kills those bacteria.',
  },
  {
    id: 'storm-prep',
    title: 'Getting a home ready for a storm',
    keywords: 'storm wind rain',
    text:
      'Before a forecast storm, bring in or tie down garden furniture and bins that the wind could throw. ' +
      'Charge phones and power banks, keep a torch where you can find it in the dark, and clear gutters so heavy rain can drain. ' +
      'Know where to turn off the water and electricity.',
  },
  {
    id: 'bread-weather',
    title: 'Baking bread in warm and cold kitchens',
    keywords: 'bread sun snow',
    text:
      'Dough rises faster in a warm kitchen and slower in a cold one: judge by size, not by the clock. ' +
      'On a hot day use cooler water; in winter, prove the dough in the oven with only the light switched on. ' +
      'A loaf is baked when it sounds hollow when tapped underneath.',
  },
  {
    id: 'pizza-night',
    title: 'A weeknight pizza at home',
    keywords: 'pizza cheese red',
    text:
      'Heat the oven as hot as it goes, with a heavy tray inside, for at least thirty minutes. ' +
      'Stretch the dough thin, use a spoonful of red sauce rather than a ladle, and add the cheese in torn pieces so it melts evenly. ' +
      'Slide the pizza onto the hot tray and bake for eight to ten minutes.',
  },
  {
    id: 'winter-soup',
    title: 'Soups for a snowy evening',
    keywords: 'soup snow bread cheese',
    text:
      'Thick soups of lentils, beans or root vegetables are cheap, keep for days and freeze well. ' +
      'Start with onion softened slowly in oil, add stock and simmer until everything is tender, then blend half for body. ' +
      'Serve with bread and a little cheese for a full meal on a snowy night.',
  },
  {
    id: 'apple-storage',
    title: 'Keeping apples crisp',
    keywords: 'apple apples red green yellow',
    text:
      'Store apples cold and humid: a plastic bag with a few holes in the fridge keeps them crisp for weeks. ' +
      'Keep them away from vegetables, because the gas apples give off makes others ripen and spoil. ' +
      'Check the store often and remove any apple that starts to soften.',
  },
  {
    id: 'garden-colour',
    title: 'Planning colour in a small garden',
    keywords: 'red yellow purple blue sun',
    text:
      'Pick two or three colours and repeat them, rather than one plant of everything. ' +
      'Warm reds and yellows look closer than they are; blues and purples recede and make a small space feel larger. ' +
      'Most flowering plants need at least six hours of sun a day to flower well.',
  },
  {
    id: 'pets-heat',
    title: 'Pets on hot, sunny days',
    keywords: 'dog cat sun',
    text:
      'Walk dogs early or late on hot days: pavement that is too hot for the back of your hand is too hot for paws. ' +
      'Leave shade and extra water for every pet, and never leave an animal in a parked car, even for a few minutes. ' +
      'Heavy panting, drooling and stumbling are signs of heatstroke: cool the animal and call a vet.',
  },
];
